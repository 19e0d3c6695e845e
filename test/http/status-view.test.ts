import pino from "pino";
import { describe, expect, it } from "vitest";
import type { BotStatus, Health } from "../../src/model.ts";
import type { AlertState } from "../../src/alerts/state-machine.ts";
import type { Silence } from "../../src/alerts/silences.ts";
import { maintenanceToSilences } from "../../src/alerts/maintenance-windows.ts";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import { StateStore } from "../../src/store/state-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { botView, fleetView, type AlertSource } from "../../src/http/status-view.ts";
import { h, renderStatusPage } from "../../src/http/page.ts";
import { botSection, searchText } from "../../src/http/page-assets/render.ts";
import { until } from "../support/service-harness.ts";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000).toISOString();
const later = (min: number) => new Date(NOW.getTime() + min * 60_000).toISOString();

function status(name: string, health: Health): BotStatus {
  return { name, username: `${name}_bot`, health, since: ago(30), checkedAt: ago(1), checks: [{ check: "token", status: health === "healthy" ? "ok" : "fail", durationMs: 3, at: ago(1), since: ago(30) }], observed: {} };
}

function silence(id: string, matchers: Record<string, string>, startsAt: string, endsAt: string, reason = "planned work"): Silence {
  return { id, matchers, startsAt, endsAt, reason, createdBy: "ops@example.com" };
}

/** An AlertSource over plain data, as the engine and outbox would answer. */
function source(o: { alerts?: Record<string, AlertState>; silences?: Silence[]; maintenance?: Silence[]; undelivered?: Record<string, string[]>; failAfter?: number } = {}): AlertSource {
  return {
    alertState: (name) => o.alerts?.[name],
    failAfter: o.failAfter ?? 2,
    silences: () => ({ maintenance: o.maintenance ?? [], silences: o.silences ?? [] }),
    undelivered: () => new Map(Object.entries(o.undelivered ?? {})),
  };
}

const FIRING: AlertState = {
  badStreak: 4,
  badSince: ago(20),
  badWorst: "down",
  goodStreak: 0,
  firing: { since: ago(20), severity: "down", notified: { severity: "down", at: ago(5) }, firedAt: ago(15), deliveredTo: { "ops-telegram": ago(15), mail: ago(5) } },
};

describe("the /status view of alerts, silences, labels and bots not swept yet", () => {
  it("when a bot's alert fires and channels took it, then its alert reads firing since the first failing sweep, who was told and who is still owed", () => {
    const view = botView({ name: "anna", username: "anna_bot", labels: { tier: "vip" } }, status("anna", "down"), source({ alerts: { anna: FIRING }, undelivered: { anna: ["webhook"] } }), NOW);
    expect(view.labels).toEqual({ tier: "vip" });
    expect(view.alert).toEqual({
      state: "firing",
      severity: "down",
      startsAt: ago(20),
      firedAt: ago(15),
      failingSweeps: 4,
      firesAfter: 2,
      notified: ["mail", "ops-telegram"],
      lastNotifiedAt: ago(5),
      undelivered: ["webhook"],
    });
    expect(view.silenced).toBeNull();
  });

  it("when a bot has failed fewer sweeps than failAfter, then its alert is pending with how many of how many, nobody told", () => {
    const pending: AlertState = { badStreak: 1, badSince: ago(1), badWorst: "degraded", goodStreak: 0, firing: null };
    const view = botView({ name: "bo", username: "bo_bot" }, status("bo", "degraded"), source({ alerts: { bo: pending }, failAfter: 3 }), NOW);
    expect(view.alert).toEqual({ state: "pending", severity: "degraded", startsAt: ago(1), firedAt: null, failingSweeps: 1, firesAfter: 3, notified: [], lastNotifiedAt: null, undelivered: [] });
  });

  it("when a silence matches a healthy bot, then the bot is silenced (until, why, by whom) though no alert is open", () => {
    const active = silence("s-1", { tier: "vip" }, ago(10), later(50));
    const view = botView({ name: "anna", username: "anna_bot", labels: { tier: "vip" } }, status("anna", "healthy"), source({ silences: [active] }), NOW);
    expect(view.alert).toBeNull();
    expect(view.silenced).toEqual({ by: "silence", id: "s-1", reason: "planned work", startsAt: ago(10), endsAt: later(50), createdBy: "ops@example.com", silencedBy: ["s-1"] });
  });

  it("when a maintenance window and silences cover a bot, then the one lasting longest is shown, every active one is in silencedBy, others are not", () => {
    const [window] = maintenanceToSilences([{ bots: ["anna"], start: ago(5), duration: 120 * 60_000, reason: "datacenter move" }]);
    const silences = [
      silence("short", { name: "anna" }, ago(1), later(10)),
      silence("expired", { name: "anna" }, ago(60), ago(30)),
      silence("future", { name: "anna" }, later(30), later(90)),
      silence("other-label", { tier: "free" }, ago(1), later(300)),
    ];
    const view = botView({ name: "anna", username: "anna_bot", labels: { tier: "vip" } }, status("anna", "healthy"), source({ silences, maintenance: [window!] }), NOW);
    expect(view.silenced).toMatchObject({ by: "maintenance", id: window!.id, reason: "datacenter move", endsAt: later(115), createdBy: "config:alerts.maintenance" });
    expect(view.silenced!.silencedBy).toEqual([window!.id, "short"]);
    // A silence whose createdBy reads like the config's is still an API silence.
    const lookalike = { ...silence("api", { name: "anna" }, ago(1), later(10)), createdBy: "config:alerts.maintenance" };
    expect(botView({ name: "anna", username: "u" }, undefined, source({ silences: [lookalike] }), NOW).silenced?.by).toBe("silence");
  });

  it("when a bot is not swept yet, then it is pending, sorted last and not counted in the fleet status", () => {
    const view = fleetView(
      [{ name: "new", username: "new_bot" }, { name: "fine", username: "fine_bot" }, { name: "slow", username: "slow_bot" }],
      (n) => ({ fine: status("fine", "healthy"), slow: status("slow", "degraded") })[n],
      source(),
      NOW,
    );
    expect(view.bots.map((b) => [b.name, b.health])).toEqual([["slow", "degraded"], ["fine", "healthy"], ["new", "pending"]]);
    expect(view.bots[2]).toMatchObject({ since: null, checks: [], alert: null, silenced: null, labels: {} });
    expect(view.status).toBe("degraded");
    expect(fleetView([{ name: "new", username: "new_bot" }, { name: "fine", username: "fine_bot" }], (n) => (n === "fine" ? status("fine", "healthy") : undefined)).status).toBe("healthy");
    const nothingYet = fleetView([{ name: "new", username: "new_bot" }], () => undefined);
    expect(nothingYet).toEqual({ status: "healthy", checkedAt: null, bots: [{ name: "new", username: "new_bot", labels: {}, health: "pending", since: null, checks: [] }] });
  });

  it("when a view is built without the alert engine (a one-shot check), then it has no alert or silenced fields at all", () => {
    const view = botView({ name: "anna", username: "anna_bot" }, status("anna", "down"));
    expect(view).not.toHaveProperty("alert");
    expect(view).not.toHaveProperty("silenced");
  });
});

describe("the page's lines for alerts, silences, labels and pending bots", () => {
  const firing = botView({ name: "anna", username: "anna_bot", labels: { tier: "vip", team: "a" } }, status("anna", "down"), source({ alerts: { anna: FIRING }, silences: [silence("s-1", { name: "anna" }, ago(10), later(90), "backend deploy")] }), NOW);

  it("when a bot's alert fires while it is silenced, then its section says firing since when, who was told, and silenced until when and why", () => {
    const html = botSection(h, firing, NOW.getTime(), false).html;
    expect(html).toContain('<p class="alert a-firing"><b class="f">Alert firing</b> (down) since 11:40:00 UTC, for <time');
    expect(html).toContain(">20 min</time> · told mail, ops-telegram</p>");
    expect(html).toContain('<p class="silenced by-silence"><b class="f">Silenced</b> until 13:30:00 UTC (1 h 30 min more): <span class="reason f">backend deploy</span> · by ops@example.com');
    expect(html).toContain('<span class="labels" title="labels"><span class="label f">tier=vip</span><span class="label f">team=a</span></span>');
    expect(searchText(firing)).toBe("✖ Down\nanna\n@anna_bot\ntier=vip\nteam=a\nAlert firing\nSilenced\nbackend deploy\n✖ Fail\ntoken");
  });

  it("when a healthy bot is in maintenance, then it is not collapsed: the window shows; when an alert fired muted, then nobody was told", () => {
    const [window] = maintenanceToSilences([{ bots: ["anna"], start: ago(5), duration: 60 * 60_000 }]);
    const quiet = botView({ name: "anna", username: "anna_bot" }, status("anna", "healthy"), source({ maintenance: [window!] }), NOW);
    const html = botSection(h, quiet, NOW.getTime(), false).html;
    expect(html).toContain('class="bot h-healthy"');
    expect(html).toContain('<b class="f">In maintenance</b> until 12:55:00 UTC (55 min more): <span class="reason f">maintenance window</span>');
    const muted: AlertState = { ...FIRING, firing: { since: ago(20), severity: "down", notified: null, firedAt: ago(15) } };
    const mutedView = botView({ name: "anna", username: "anna_bot" }, status("anna", "down"), source({ alerts: { anna: muted }, maintenance: [window!] }), NOW);
    expect(botSection(h, mutedView, NOW.getTime(), false).html).toContain(" · nobody told</p>");
  });

  it("when some bots are not swept yet, then the summary counts them apart, not as needing attention", () => {
    const html = (bots: Array<[string, BotStatus | undefined]>) =>
      renderStatusPage(fleetView(bots.map(([name]) => ({ name, username: `${name}_bot` })), (n) => bots.find(([b]) => b === n)?.[1], source(), NOW), { refreshSeconds: 30, nonce: "n", now: NOW.getTime() });
    const starting = html([["a", undefined], ["b", undefined]]);
    expect(starting).toContain('<span class="headline">2 bots not checked yet</span>');
    expect(starting).toContain('<div class="tile h-pending" data-health="pending"><span class="n">2</span>');
    expect(starting).toContain("<title>… 2 pending · secretary-watch</title>");
    expect(starting).toContain("</span> Pending</span>");
    const half = html([["a", status("a", "healthy")], ["b", undefined]]);
    expect(half).toContain('<span class="headline">1 bot healthy, 1 not checked yet</span>');
    const done = html([["a", status("a", "healthy")], ["b", status("b", "healthy")]]);
    expect(done).toContain('<span class="headline">All 2 bots healthy</span>');
    expect(done).not.toContain('data-health="pending"');
  });
});

describe("the alert engine's record of who was told", () => {
  it("when the outbox delivers a firing alert, then the alert names the channel; a delivery of an older streak or a resolved message does not", async () => {
    const store = await StateStore.open<WatchState>({ path: null });
    const sent: AlertMessage[] = [];
    const channel: Channel = { name: "ops", type: "test", accepts: () => true, send: async (m) => void sent.push(m) };
    const engineRef: { current?: AlertEngine } = {};
    const outbox = new Outbox({ store, channels: [channel], logger: pino({ level: "silent" }), onResult: (c, _k, r, m) => r === "sent" && engineRef.current?.delivered(m, c) });
    const engine = (engineRef.current = new AlertEngine({
      store,
      outbox,
      logger: pino({ level: "silent" }),
      policy: { failAfter: 1, recoverAfter: 1, repeatIntervalMs: 3_600_000, sendResolved: true },
      maintenance: [],
      statuses: () => [],
      monitorEvaluationMs: 60_000,
    }));
    outbox.start();
    try {
      const bot = { name: "anna", token: "1:x", username: "anna_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };
      engine.onSweep(bot, { ...status("anna", "down"), checkedAt: ago(2) });
      await until("the delivery", () => (sent.length === 1 ? true : undefined), 2000);
      await until("the record", () => (engine.alertState("anna")?.firing?.deliveredTo ? true : undefined), 2000);
      expect(engine.alertState("anna")!.firing).toMatchObject({ since: ago(2), firedAt: ago(2), deliveredTo: { ops: ago(2) } });
      expect(botView(bot, status("anna", "down"), { alertState: (n) => engine.alertState(n), failAfter: engine.failAfter, silences: () => engine.silences(), undelivered: () => outbox.undelivered() }).alert?.notified).toEqual(["ops"]);

      engine.delivered({ ...sent[0]!, since: ago(60) }, "other");
      engine.delivered({ ...sent[0]!, kind: "resolved" }, "other");
      expect(Object.keys(engine.alertState("anna")!.firing!.deliveredTo!)).toEqual(["ops"]);
    } finally {
      outbox.stop();
      await store.close();
    }
  });
});
