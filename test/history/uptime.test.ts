import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Health } from "../../src/model.ts";
import { DAY_MS } from "../../src/history/spans.ts";
import { addDurations, dailyBar, durations, timeline, uptime, type BotHistory, type HealthSegment } from "../../src/history/uptime.ts";

const H = 3_600_000;
const M = 60_000;
/** Midnight UTC, 1 March 2026: scenario times are offsets from it. */
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const at = (offset: number) => T0 + offset;
const t = (offset: number, health: Health) => ({ at: at(offset), health });
const seg = (from: number, to: number, health: HealthSegment["health"]) => ({ from: at(from), to: at(to), health });
const gap = (from: number, to: number) => ({ from: at(from), to: at(to) });
const run = (from: number, heartbeat: number, stopped?: number) => ({ startedAt: at(from), heartbeatAt: at(heartbeat), stoppedAt: stopped === undefined ? null : at(stopped) });

interface Scenario {
  when: string;
  history: BotHistory;
  health: ReturnType<typeof seg>[];
  gaps: ReturnType<typeof gap>[];
  up: number | null;
  healthy: number | null;
  known: number | null;
}

const flapping = Array.from({ length: 12 }, (_, i) => t(i * 10 * M, i % 2 === 0 ? "down" : "healthy"));

const scenarios: Scenario[] = [
  {
    when: "the monitor was down for two hours of a healthy bot's window, then that time is a gap, not up",
    history: { from: at(0), to: at(10 * H), before: t(-H, "healthy"), transitions: [], runs: [run(-2 * H, 4 * H, 4 * H), run(6 * H, 10 * H)] },
    health: [seg(0, 4 * H, "healthy"), seg(6 * H, 10 * H, "healthy")],
    gaps: [gap(4 * H, 6 * H)],
    up: 1, healthy: 1, known: 0.8,
  },
  {
    when: "a bot is added mid-window, then it counts from its first sweep",
    history: { from: at(0), to: at(24 * H), firstSeen: at(6 * H), transitions: [t(6 * H, "healthy"), t(12 * H, "down"), t(15 * H, "healthy")], runs: [run(-H, 24 * H)] },
    health: [seg(6 * H, 12 * H, "healthy"), seg(12 * H, 15 * H, "down"), seg(15 * H, 24 * H, "healthy")],
    gaps: [gap(0, 6 * H)],
    up: 15 / 18, healthy: 15 / 18, known: 0.75,
  },
  {
    when: "the bot's health was unknown for a while, then that time is a gap left out of every ratio",
    history: { from: at(0), to: at(10 * H), before: t(-H, "down"), transitions: [t(2 * H, "unknown"), t(5 * H, "healthy")], runs: [run(-H, 10 * H)] },
    health: [seg(0, 2 * H, "down"), seg(5 * H, 10 * H, "healthy")],
    gaps: [gap(2 * H, 5 * H)],
    up: 5 / 7, healthy: 5 / 7, known: 0.7,
  },
  {
    when: "the window crosses midnight, then the segments run across it unbroken",
    history: { from: at(22 * H), to: at(28 * H), before: t(0, "healthy"), transitions: [t(23 * H, "down"), t(25 * H, "degraded"), t(26 * H, "healthy")], runs: [run(0, 28 * H)] },
    health: [seg(22 * H, 23 * H, "healthy"), seg(23 * H, 25 * H, "down"), seg(25 * H, 26 * H, "degraded"), seg(26 * H, 28 * H, "healthy")],
    gaps: [],
    up: 4 / 6, healthy: 3 / 6, known: 1,
  },
  {
    when: "a bot flaps every ten minutes, then every flap is a segment and the ratios are exact",
    history: { from: at(0), to: at(2 * H), transitions: flapping, runs: [run(0, 2 * H)] },
    health: flapping.map((f, i) => seg(i * 10 * M, (i + 1) * 10 * M, f.health as HealthSegment["health"])),
    gaps: [],
    up: 0.5, healthy: 0.5, known: 1,
  },
  {
    when: "a run's last heartbeat is older than its stop (it hung), then the time after the heartbeat is a gap",
    history: { from: at(0), to: at(10 * H), before: t(-H, "healthy"), transitions: [], runs: [run(0, 3 * H, 5 * H), run(6 * H, 10 * H)] },
    health: [seg(0, 3 * H, "healthy"), seg(6 * H, 10 * H, "healthy")],
    gaps: [gap(3 * H, 6 * H)],
    up: 1, healthy: 1, known: 0.7,
  },
  {
    when: "the monitor crashed and restarted mid-incident, then the outage is down on both sides and the crash a gap, never up",
    history: { from: at(0), to: at(8 * H), before: t(-H, "healthy"), transitions: [t(H, "down"), t(6 * H, "healthy")], runs: [run(-H, 2.5 * H), run(4 * H, 8 * H)] },
    health: [seg(0, H, "healthy"), seg(H, 2.5 * H, "down"), seg(4 * H, 6 * H, "down"), seg(6 * H, 8 * H, "healthy")],
    gaps: [gap(2.5 * H, 4 * H)],
    up: 3 / 6.5, healthy: 3 / 6.5, known: 6.5 / 8,
  },
  {
    when: "a transition repeats the health (a new message), then the segments are joined",
    history: { from: at(0), to: at(4 * H), before: t(-H, "degraded"), transitions: [{ ...t(H, "degraded"), message: "other" }, t(2 * H, "healthy")], runs: [run(-H, 4 * H)] },
    health: [seg(0, 2 * H, "degraded"), seg(2 * H, 4 * H, "healthy")],
    gaps: [],
    up: 1, healthy: 0.5, known: 1,
  },
  {
    when: "nothing is known in the window, then up and healthy are null and known is 0",
    history: { from: at(0), to: at(H), before: t(-H, "healthy"), transitions: [], runs: [run(-3 * H, -2 * H)] },
    health: [],
    gaps: [gap(0, H)],
    up: null, healthy: null, known: 0,
  },
];

describe("uptime from transitions", () => {
  for (const s of scenarios) {
    it(`when ${s.when}`, () => {
      const line = timeline(s.history);
      expect(line.health).toEqual(s.health);
      expect(line.gaps).toEqual(s.gaps);
      const u = uptime(durations(s.history));
      for (const key of ["up", "healthy", "known"] as const) {
        if (s[key] === null) expect(u[key], key).toBeNull();
        else expect(u[key], key).toBeCloseTo(s[key], 12);
      }
    });
  }

  it("when the window crosses midnight, then the 90-day bar has one cell per UTC day with its worst health and downtime", () => {
    const history: BotHistory = { from: at(22 * H), to: at(28 * H), before: t(0, "healthy"), transitions: [t(23 * H, "down"), t(25 * H, "degraded"), t(26 * H, "healthy")], runs: [run(0, 28 * H)] };
    expect(dailyBar(history)).toEqual([
      { date: "2026-03-01", from: at(0), worst: "down", downMs: H, knownMs: 2 * H },
      { date: "2026-03-02", from: at(24 * H), worst: "down", downMs: H, knownMs: 4 * H },
    ]);
  });

  it("when a day has no known time, then its cell is grey (no worst health) and a day of only degraded is degraded", () => {
    const history: BotHistory = { from: at(0), to: at(3 * DAY_MS), before: t(-H, "degraded"), transitions: [t(DAY_MS, "unknown"), t(2 * DAY_MS + H, "healthy")], runs: [run(-H, 3 * DAY_MS)] };
    expect(dailyBar(history).map((c) => [c.date, c.worst, c.downMs, c.knownMs])).toEqual([
      ["2026-03-01", "degraded", 0, DAY_MS],
      ["2026-03-02", null, 0, 0],
      ["2026-03-03", "healthy", 0, DAY_MS - H],
    ]);
  });

  it("when a window is cut into UTC days, then the days' durations add up to the window's exactly (what daily rollups rely on)", () => {
    const healths = fc.constantFrom<Health>("healthy", "degraded", "down", "unknown");
    const offset = fc.integer({ min: 0, max: 4 * DAY_MS });
    fc.assert(
      fc.property(fc.array(fc.tuple(offset, healths), { maxLength: 30 }), fc.array(fc.tuple(offset, offset), { maxLength: 4 }), offset, offset, (points, spans, a, b) => {
        const [from, to] = [at(Math.min(a, b)), at(Math.max(a, b) + 1)];
        const all = points.map(([o, h]) => t(o, h)).sort((x, y) => x.at - y.at);
        const runs = spans.map(([x, y]) => run(Math.min(x, y), Math.max(x, y)));
        const piece = (f: number, to2: number): BotHistory => ({ from: f, to: to2, before: all.filter((p) => p.at < f).at(-1), transitions: all.filter((p) => p.at >= f && p.at < to2), runs });
        const whole = durations(piece(from, to));
        const days = [];
        for (let d = Math.floor(from / DAY_MS); d * DAY_MS < to; d++) days.push(durations(piece(Math.max(from, d * DAY_MS), Math.min(to, (d + 1) * DAY_MS))));
        expect(addDurations(days)).toEqual(whole);
      }),
    );
  });
});
