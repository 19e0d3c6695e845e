/**
 * Issue 20, item 2: uptime and incidents across a wall-clock step, through the service's store (SQLite on
 * disk; PostgreSQL in that project) and the history as the service wraps it (wall-step-history.ts).
 * The clocks are injected: one sweep a minute of monotonic time, the wall clock stepped an hour at
 * minute 10. The right answers (README, "Storage and history"): an hour stepped over forward was never
 * watched, so it is a gap; an hour stepped back over was watched already, so what happens while the
 * clock repeats it is held at the latest time recorded; every span has a length ≥ 0, and the ratios are
 * exact figures of the time watched.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { Clock } from "../../src/clock.ts";
import { recordSweep } from "../../src/history/sweep-recorder.ts";
import { wallStepHistory } from "../../src/history/wall-step-history.ts";
import { length } from "../../src/history/spans.ts";
import { createLogger } from "../../src/log.ts";
import type { BotStatus, Health, MonitoredBot } from "../../src/model.ts";
import { WallSteps } from "../../src/wall-steps.ts";
import { openTestStore } from "../support/test-store.ts";

const logger = createLogger({ level: "silent" });
const T0 = Date.UTC(2026, 10, 24, 12);
const M = 60_000;
const HOUR = 60 * M;
const anna: MonitoredBot = { name: "anna", token: "1:anna", username: "anna_secretary_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };

/** Healthy for minutes 0–4, down 5–14, healthy 15 on: one alert, fired at minute 6, resolved at 16 (recoverAfter 2). */
const healthAt = (minute: number): Health => (minute >= 5 && minute < 15 ? "down" : "healthy");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wall-steps-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The service's recording path on injected clocks: a sweep per monotonic minute, the history written
 * through wallStepHistory, the heartbeat and the service's once-a-second sample of the step detector.
 */
async function run(stepMs: number, minutes: number) {
  let mono = 0;
  let wall = T0;
  const clock: Clock = { wall: () => wall, mono: () => mono };
  const steps = new WallSteps(clock);
  const opened = await openTestStore(dir);
  const history = wallStepHistory(opened.history, steps);
  const { store } = opened;
  const outbox = new Outbox({ store, channels: [], logger });
  const engine = new AlertEngine({ store, outbox, logger, policy: { failAfter: 2, recoverAfter: 2, repeatIntervalMs: 4 * HOUR, sendResolved: true }, maintenance: [], statuses: () => [], monitorEvaluationMs: M, history, wallSteps: steps });
  history.begin(wall);
  let last: BotStatus | undefined;
  for (let minute = 0; minute <= minutes; minute++) {
    if (minute === 10) {
      steps.sample(); // the service samples every second: the last look before the step
      wall += stepMs;
    }
    const at = new Date(wall).toISOString();
    const health = healthAt(minute);
    const status: BotStatus = { name: "anna", username: anna.username, health, since: last?.health === health ? last.since : at, checkedAt: at, checks: [{ check: "token", status: health === "down" ? "fail" : "ok", durationMs: 1, at, since: at }], observed: {} };
    recordSweep(history, status, last);
    void store.results.put("anna", status);
    engine.onSweep(anna, status);
    history.heartbeat(wall);
    last = status;
    mono += M;
    wall += M;
  }
  await store.flush();
  return { store, history: opened.history, wall: () => wall };
}

const minutes = (ms: number) => ms / M;

describe("uptime and incidents across a wall-clock step", () => {
  it("when the wall clock steps forward an hour, then that hour is a gap and the ratios are those of the 20 minutes watched", async () => {
    const { store, history, wall } = await run(+HOUR, 19);
    const to = wall(); // T0 + 80 min: 20 watched, 60 stepped over
    const window = await history.botHistory("anna", T0, to);
    const known = length(window.health);
    const down = length(window.health.filter((s) => s.health === "down"));
    console.log(`[wall-steps] +1 h: known ${minutes(known)} min of ${minutes(to - T0)}, down ${minutes(down)} min, up ${window.uptime.up}, gaps ${window.gaps.map((g) => `${minutes(g.from - T0)}–${minutes(g.to - T0)}`).join(", ")} min`);
    expect(minutes(known)).toBe(20);
    expect(minutes(down)).toBe(10);
    expect(window.uptime).toEqual({ up: 0.5, healthy: 0.5, known: 0.25 });
    expect(window.gaps).toEqual([{ from: T0 + 10 * M, to: T0 + 70 * M }]);
    // The incident is one, 10 watched minutes long on the wall clock's terms: fired at 6, resolved at 16 (= wall 76).
    const [incident] = await history.incidents({ bot: "anna" });
    expect(incident).toMatchObject({ start: T0 + 5 * M, firedAt: T0 + 6 * M, end: T0 + 76 * M });
    await store.close();
  });

  it("when the wall clock steps back an hour, then what it records while repeating that hour is held at the latest time recorded: no negative span, and uptime is exact once the clock has passed it", async () => {
    // 75 sweeps: the clock reads T0 − 50 min at minute 10 and passes T0 + 10 min (the latest recorded) at minute 70.
    const { store, history, wall } = await run(-HOUR, 75);
    const to = wall(); // T0 + 16 min
    const window = await history.botHistory("anna", T0 - HOUR, to);
    const spans = [...window.health, ...window.gaps];
    const negative = spans.filter((s) => s.to < s.from).length;
    const incidents = await history.incidents({ bot: "anna" });
    const negativeIncidents = incidents.filter((i) => i.end !== null && (i.end < i.firedAt || i.firedAt < i.start)).length;
    console.log(`[wall-steps] −1 h: health ${window.health.map((s) => `${s.health} ${minutes(s.from - T0)}–${minutes(s.to - T0)}`).join(", ")} min; up ${window.uptime.up}; incident ${incidents.map((i) => `${minutes(i.start - T0)}/${minutes(i.firedAt - T0)}/${minutes(i.end! - T0)}`).join()} min; negative spans ${negative}, negative incidents ${negativeIncidents}`);
    expect(negative).toBe(0);
    expect(negativeIncidents).toBe(0);
    // Watched: T0…T0+10 once, then the repeated hour (held at T0+10), then T0+10…T0+16 again on the clock.
    expect(window.health.map((s) => [s.health, minutes(s.from - T0), minutes(s.to - T0)])).toEqual([
      ["healthy", 0, 5],
      ["down", 5, 10],
      ["healthy", 10, 16],
    ]);
    expect(window.uptime.up).toBe(11 / 16);
    expect(window.uptime.healthy).toBe(11 / 16);
    // The bot is healthy now, and the history says so: the recovery (while repeating the hour) is not filed before the failure.
    expect(window.health.at(-1)!.health).toBe("healthy");
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ start: T0 + 5 * M, firedAt: T0 + 6 * M, end: T0 + 10 * M });
    const stored = await store.flush().then(() => history.incidents({ bot: "anna" }));
    expect(stored).toHaveLength(1);
    await store.close();
  });
});
