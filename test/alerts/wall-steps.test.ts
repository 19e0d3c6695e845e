/**
 * Issue 20, item 2, the alert engine on injected clocks: a firing alert's waits (reminders, a channel's
 * `after`) count the time the monitor watched, whatever the wall clock does; the step detector sees a
 * step and places a sweep that straddled it. Real store (in memory), real outbox; the channels record.
 */
import { describe, expect, it } from "vitest";
import { AlertEngine } from "../../src/alerts/engine.ts";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import type { Clock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import type { BotStatus, MonitoredBot } from "../../src/model.ts";
import { StateStore } from "../../src/store/state-store.ts";
import { WallSteps } from "../../src/wall-steps.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { until } from "../support/service-harness.ts";

const logger = createLogger({ level: "silent" });
const T0 = Date.UTC(2026, 10, 24, 12);
const M = 60_000;
const HOUR = 60 * M;
const anna: MonitoredBot = { name: "anna", token: "1:anna", username: "anna_secretary_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };

function channel(name: string, after?: number): Channel & { got: string[] } {
  const got: string[] = [];
  return { name, type: "test", got, ...(after !== undefined && { after }), accepts: () => true, send: async (m: AlertMessage) => void got.push(m.kind) };
}

/** anna down, swept every monotonic minute for `minutes`, the wall clock stepped by each `steps[minute]`. */
async function fleet(steps: Record<number, number>, minutes: number, o: { straddle?: boolean } = {}) {
  let mono = 0;
  let wall = T0;
  const clock: Clock = { wall: () => wall, mono: () => mono };
  const wallSteps = new WallSteps(clock);
  const store = await StateStore.open<WatchState>({ path: null });
  const ops = channel("ops");
  const pager = channel("pager", 15 * M);
  const outbox = new Outbox({ store, channels: [ops, pager], logger, baseBackoffMs: 10 });
  const engine = new AlertEngine({ store, outbox, logger, policy: { failAfter: 2, recoverAfter: 2, repeatIntervalMs: 30 * M, sendResolved: true }, maintenance: [], statuses: () => [], monitorEvaluationMs: M, channels: [ops, pager], wallSteps });
  outbox.start();
  for (let minute = 0; minute < minutes; minute++) {
    const at = new Date(wall).toISOString();
    // A sweep that straddles the step: its time is read before, the engine sees it after.
    if (steps[minute] !== undefined) {
      wallSteps.sample();
      wall += steps[minute]!;
      if (!o.straddle) wallSteps.sample();
    }
    const checkedAt = o.straddle && steps[minute] !== undefined ? at : new Date(wall).toISOString();
    const status: BotStatus = { name: "anna", username: anna.username, health: "down", since: new Date(T0).toISOString(), checkedAt, checks: [{ check: "token", status: "fail", durationMs: 1, at: checkedAt, since: checkedAt }], observed: {} };
    engine.onSweep(anna, status);
    mono += M;
    wall += M;
  }
  await until("deliveries", () => (outbox.size === 0 ? true : undefined), 5000);
  outbox.stop();
  return { ops: ops.got, pager: pager.got, state: store.alerts.get("anna") };
}

describe("alert waits across wall-clock steps", () => {
  const cases: Array<{ name: string; steps: Record<number, number>; minutes: number; straddle?: boolean; ops: string[]; pager: string[] }> = [
    // 10 watched minutes: fired at minute 1; no 30-minute reminder, no 15-minute page.
    { name: "no step", steps: {}, minutes: 10, ops: ["firing"], pager: [] },
    { name: "+1 h at minute 5", steps: { 5: HOUR }, minutes: 10, ops: ["firing"], pager: [] },
    { name: "−1 h at minute 5", steps: { 5: -HOUR }, minutes: 10, ops: ["firing"], pager: [] },
    { name: "+1 h, then −1 h", steps: { 3: HOUR, 6: -HOUR }, minutes: 10, ops: ["firing"], pager: [] },
    { name: "−1 h in the middle of a sweep", steps: { 5: -HOUR }, minutes: 10, straddle: true, ops: ["firing"], pager: [] },
    { name: "+1 h in the middle of a sweep", steps: { 5: HOUR }, minutes: 10, straddle: true, ops: ["firing"], pager: [] },
    // 40 watched minutes: the pager hears at minute 16 (15 after firing), the reminder at 31 (its own would be at 46), on time whatever the clock did.
    { name: "no step, 40 minutes", steps: {}, minutes: 40, ops: ["firing", "reminder"], pager: ["firing"] },
    { name: "−1 h at minute 5, 40 minutes", steps: { 5: -HOUR }, minutes: 40, ops: ["firing", "reminder"], pager: ["firing"] },
    { name: "+1 h at minute 5, 40 minutes", steps: { 5: HOUR }, minutes: 40, ops: ["firing", "reminder"], pager: ["firing"] },
  ];
  it("when the wall clock steps while an alert fires, then every channel gets what it gets without the step", async () => {
    const rows: string[] = [];
    for (const c of cases) {
      const got = await fleet(c.steps, c.minutes, { straddle: c.straddle ?? false });
      rows.push(`${c.name.padEnd(34)} ops ${got.ops.join("+").padEnd(16)} pager ${got.pager.join("+") || "-"}  stepMs ${got.state?.firing?.stepMs ?? 0}`);
      expect({ ops: got.ops, pager: got.pager }, c.name).toEqual({ ops: c.ops, pager: c.pager });
    }
    console.log(`[alert-wall-steps]\n${rows.join("\n")}`);
  });

  it("when the wall clock steps, then the detector reports it once, and places times read just before it on the new clock", () => {
    let mono = 0;
    let wall = T0;
    const steps = new WallSteps({ wall: () => wall, mono: () => mono });
    const seen: number[] = [];
    steps.listen((s) => seen.push(s.ms));
    mono += 500;
    wall += 500 + 300; // 300 ms of drift between two samples is no step
    expect(steps.sample()).toBeUndefined();
    const before = wall;
    wall -= HOUR;
    expect(steps.sample()).toMatchObject({ ms: -HOUR, before, after: before - HOUR });
    expect(steps.sample()).toBeUndefined();
    expect(seen).toEqual([-HOUR]);
    expect(steps.current(before - 10)).toBe(before - 10 - HOUR); // read before the step
    expect(steps.current(wall + 5)).toBe(wall + 5); // read after it
    mono += 61_000; // a minute on, the two sides are not told apart any more
    expect(steps.current(before)).toBe(before);
  });
});
