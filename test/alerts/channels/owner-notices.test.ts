/**
 * What the owner channel tells a profile owner, sweep by sweep (src/alerts/owner-notices.ts): a scenario
 * table over the pure step, each row a few sweeps of one bot and the owner messages they make.
 */
import { describe, expect, it } from "vitest";
import type { CheckResult, OwnerFix } from "../../../src/check-model.ts";
import type { BotStatus, Health } from "../../../src/model.ts";
import { ownerStep } from "../../../src/alerts/owner-notices.ts";
import { step, type AlertPolicy, type AlertState } from "../../../src/alerts/state-machine.ts";
import type { AlertMessage } from "../../../src/alerts/types.ts";

const POLICY: AlertPolicy = { failAfter: 2, recoverAfter: 1, repeatIntervalMs: 4 * 3_600_000, sendResolved: true };
const BOT = { name: "anna", username: "anna_bot", labels: {} };
const fix = (problem: string): OwnerFix => ({ problem, issue: `${problem} is wrong`, fix: `fix ${problem}`, fixed: `${problem} is fixed` });
const RIGHTS = fix("permission:gifts-and-stars");
const SCOPE = fix("scope");

type Result = Pick<CheckResult, "check" | "status"> & { ownerFixes?: OwnerFix[] };
/** One sweep: its minute (from 10:00), and its results; health follows from them. */
interface Sweep {
  minute: number;
  results: Result[];
  health?: Health;
  muted?: boolean;
}

const ok = (check: string): Result => ({ check, status: "ok" });
const failing = (check: string, ...fixes: OwnerFix[]): Result => ({ check, status: "fail", ...(fixes.length > 0 && { ownerFixes: fixes }) });
const skipped = (check: string): Result => ({ check, status: "skipped" });

function status(sweep: Sweep): BotStatus {
  const at = new Date(Date.UTC(2026, 11, 1, 10, sweep.minute)).toISOString();
  const bad = sweep.results.some((r) => r.status === "fail");
  const checks = sweep.results.map((r) => ({ durationMs: 1, at, since: at, ...r }) as CheckResult);
  return { name: BOT.name, username: BOT.username, health: sweep.health ?? (bad ? "degraded" : "healthy"), since: at, checkedAt: at, checks, observed: {} };
}

/** Runs the sweeps through the alert's step and the owner's; returns what the owner heard, "kind: words". */
function run(sweeps: Sweep[], options: { policy?: AlertPolicy; reaches?: (m: AlertMessage) => boolean } = {}) {
  const policy = options.policy ?? POLICY;
  let state: AlertState | undefined;
  const heard: string[][] = [];
  for (const sweep of sweeps) {
    const s = status(sweep);
    const stepped = step(state, { health: s.health, at: new Date(s.checkedAt), muted: sweep.muted ?? false }, policy);
    const told = ownerStep({ previous: state, state: stepped.state, status: s, bot: BOT, muted: sweep.muted ?? false, policy, reaches: options.reaches ?? (() => true) });
    for (const m of told.messages) expect(m).toMatchObject({ key: "anna", scope: "owner", checks: [] });
    heard.push(told.messages.map((m) => `${m.kind}: ${m.kind === "resolved" ? m.owner!.fixed : m.owner!.issue}`));
    state = told.state;
  }
  return { heard, state };
}

describe("the owner's messages, sweep by sweep", () => {
  it("when a right goes missing for two sweeps and comes back, then the owner hears once when the alert fires and once when it is fixed", () => {
    const { heard, state } = run([
      { minute: 0, results: [ok("connection"), failing("rights", RIGHTS)] },
      { minute: 1, results: [ok("connection"), failing("rights", RIGHTS)] },
      { minute: 2, results: [ok("connection"), failing("rights", RIGHTS)] },
      { minute: 3, results: [ok("connection"), ok("rights")] },
    ]);
    expect(heard).toEqual([[], ["firing: permission:gifts-and-stars is wrong"], [], ["resolved: permission:gifts-and-stars is fixed"]]);
    expect(state?.firing ?? null).toBeNull();
  });

  it("when the problem lasts past repeatInterval, then one reminder goes out, and none before", () => {
    const { heard } = run([
      { minute: 0, results: [failing("rights", RIGHTS)] },
      { minute: 1, results: [failing("rights", RIGHTS)] },
      { minute: 120, results: [failing("rights", RIGHTS)] },
      { minute: 241, results: [failing("rights", RIGHTS)] },
      { minute: 242, results: [failing("rights", RIGHTS)] },
    ]);
    expect(heard).toEqual([[], ["firing: permission:gifts-and-stars is wrong"], [], ["reminder: permission:gifts-and-stars is wrong"], []]);
  });

  it("when only the webhook fails (nothing the owner can fix), then the owner hears nothing although the alert fires", () => {
    const { heard, state } = run([
      { minute: 0, results: [failing("webhook")] },
      { minute: 1, results: [failing("webhook")] },
      { minute: 2, results: [ok("webhook")] },
    ]);
    expect(heard).toEqual([[], [], []]);
    expect(state?.firing ?? null).toBeNull();
  });

  it("when two checks see the same problem, then the owner hears of it once", () => {
    const { heard } = run([
      { minute: 0, results: [failing("rights", RIGHTS), failing("scope", RIGHTS)] },
      { minute: 1, results: [failing("rights", RIGHTS), failing("scope", RIGHTS)] },
    ]);
    expect(heard).toEqual([[], ["firing: permission:gifts-and-stars is wrong"]]);
  });

  it("when a second problem appears while the alert fires and the first is fixed, then each gets its own message and its own note", () => {
    const { heard } = run([
      { minute: 0, results: [failing("rights", RIGHTS), ok("scope")] },
      { minute: 1, results: [failing("rights", RIGHTS), ok("scope")] },
      { minute: 2, results: [failing("rights", RIGHTS), failing("scope", SCOPE)] },
      { minute: 3, results: [ok("rights"), failing("scope", SCOPE)] },
      { minute: 4, results: [ok("rights"), ok("scope")] },
    ]);
    expect(heard).toEqual([
      [],
      ["firing: permission:gifts-and-stars is wrong"],
      ["firing: scope is wrong"],
      ["resolved: permission:gifts-and-stars is fixed"],
      ["resolved: scope is fixed"],
    ]);
  });

  it("when the token is revoked after the owner was told (the checks behind it skipped), then neither a reminder nor a false note goes out", () => {
    const { heard } = run([
      { minute: 0, results: [ok("token"), failing("rights", RIGHTS)] },
      { minute: 1, results: [ok("token"), failing("rights", RIGHTS)] },
      { minute: 300, results: [failing("token"), skipped("rights")], health: "down" },
      { minute: 301, results: [ok("token"), failing("rights", RIGHTS)] },
    ]);
    expect(heard).toEqual([[], ["firing: permission:gifts-and-stars is wrong"], [], ["reminder: permission:gifts-and-stars is wrong"]]);
  });

  it("when the connection told disabled is then not known to Telegram at all (a failure of another kind), then no note says it is fixed", () => {
    const DISCONNECTED = fix("connection");
    const { heard } = run([
      { minute: 0, results: [failing("connection", DISCONNECTED)] },
      { minute: 1, results: [failing("connection", DISCONNECTED)] },
      { minute: 2, results: [failing("connection")] },
      { minute: 3, results: [ok("connection")] },
    ]);
    expect(heard).toEqual([[], ["firing: connection is wrong"], [], ["resolved: connection is fixed"]]);
  });

  it("when the bot is muted by a silence, then the owner hears nothing until it ends", () => {
    const { heard } = run([
      { minute: 0, results: [failing("rights", RIGHTS)], muted: true },
      { minute: 1, results: [failing("rights", RIGHTS)], muted: true },
      { minute: 2, results: [failing("rights", RIGHTS)] },
    ]);
    expect(heard).toEqual([[], [], ["firing: permission:gifts-and-stars is wrong"]]);
  });

  it("when no owner channel takes the bot's messages, then nothing is told and the alert's state carries nothing for the owner", () => {
    const { heard, state } = run(
      [
        { minute: 0, results: [failing("rights", RIGHTS)] },
        { minute: 1, results: [failing("rights", RIGHTS)] },
      ],
      { reaches: () => false },
    );
    expect(heard).toEqual([[], []]);
    expect(state?.firing?.ownerTold).toBeUndefined();
  });

  it("when sendResolved is off, then no note goes out when it is fixed", () => {
    const { heard } = run(
      [
        { minute: 0, results: [failing("rights", RIGHTS)] },
        { minute: 1, results: [failing("rights", RIGHTS)] },
        { minute: 2, results: [ok("rights")] },
      ],
      { policy: { ...POLICY, sendResolved: false } },
    );
    expect(heard).toEqual([[], ["firing: permission:gifts-and-stars is wrong"], []]);
  });

  it("when the state is written and read back as JSON (a restart), then the told problem is neither repeated nor forgotten", () => {
    const first = run([
      { minute: 0, results: [failing("rights", RIGHTS)] },
      { minute: 1, results: [failing("rights", RIGHTS)] },
    ]);
    const restored = JSON.parse(JSON.stringify(first.state)) as AlertState;
    const again = status({ minute: 2, results: [failing("rights", RIGHTS)] });
    const stepped = step(restored, { health: again.health, at: new Date(again.checkedAt), muted: false }, POLICY);
    expect(ownerStep({ previous: restored, state: stepped.state, status: again, bot: BOT, muted: false, policy: POLICY, reaches: () => true }).messages).toEqual([]);
    const fixed = status({ minute: 3, results: [ok("rights")] });
    const resolved = step(stepped.state, { health: "healthy", at: new Date(fixed.checkedAt), muted: false }, POLICY);
    const notes = ownerStep({ previous: stepped.state, state: resolved.state, status: fixed, bot: BOT, muted: false, policy: POLICY, reaches: () => true }).messages;
    expect(notes.map((m) => [m.kind, m.owner?.fixed])).toEqual([["resolved", "permission:gifts-and-stars is fixed"]]);
  });
});
