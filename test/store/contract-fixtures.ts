import type { WatchState } from "../../src/watch-state.ts";

/** Records of every slice, as their owners make them (shapes of model.ts, alerts/, fleet.ts). */
export const at = "2026-11-24T12:00:00.000Z";

export function result(name: string, health = "healthy", checkedAt = at): WatchState["results"] {
  return {
    name,
    username: `${name}_bot`,
    health,
    since: at,
    checkedAt,
    checks: [{ check: "token", status: health === "healthy" ? "ok" : "fail", message: `say "hi" é`, durationMs: 1.5, at: checkedAt, since: at }],
    observed: { rights: { can_reply: true } },
  } as unknown as WatchState["results"];
}

export const alertState = (badStreak: number): WatchState["alerts"] => ({ badStreak, badSince: null, badWorst: null, goodStreak: 0, firing: null }) as unknown as WatchState["alerts"];

export function outboxEntry(id: string, attempts = 0): WatchState["outbox"] {
  return { id, channel: "mail", message: { key: "anna", kind: "firing", summary: "anna is down" }, createdAt: at, attempts, nextAttemptAt: Date.parse(at) } as unknown as WatchState["outbox"];
}

export const silence = (id: string, reason = "maintenance"): WatchState["silences"] => ({ id, matchers: { name: "anna" }, startsAt: at, endsAt: "2026-11-25T00:00:00.000Z", reason });

export function storedBot(name: string, updatedAt = at): WatchState["bots"] {
  return { config: { name, username: `${name}_bot` }, sealedToken: "sealed:opaque", createdAt: at, updatedAt } as unknown as WatchState["bots"];
}
