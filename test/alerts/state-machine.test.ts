import { describe, expect, it } from "vitest";
import { type AlertEvent, type AlertPolicy, type AlertState, isIdle, step } from "../../src/alerts/state-machine.ts";
import type { Health } from "../../src/model.ts";

/**
 * One scenario table drives `step`. A sweep is `[minute, health, ...expected events]`; an event is
 * written `kind severity [from degraded] since M [ends M]`, times in minutes after T0. Every sweep lists
 * all the events it must produce (none listed: it must produce none).
 * `muted: [from, until)` mutes the sweeps in that range of minutes; `restartBefore: M` round-trips the
 * state through JSON.stringify/parse before the sweep at minute M, as a restart reading the state file.
 */

const T0 = Date.parse("2026-11-24T10:00:00.000Z");
const minute = (m: number): Date => new Date(T0 + m * 60_000);
const minutesOf = (iso: string): number => (Date.parse(iso) - T0) / 60_000;

const DEFAULTS: AlertPolicy = { failAfter: 2, recoverAfter: 2, repeatIntervalMs: 60 * 60_000, sendResolved: true };

type Sweep = readonly [minute: number, health: Health, ...events: string[]];

interface Scenario {
  name: string;
  policy?: Partial<AlertPolicy>;
  muted?: readonly [from: number, until: number];
  restartBefore?: number;
  sweeps: readonly Sweep[];
}

function describeEvent(e: AlertEvent): string {
  return [
    e.kind,
    e.severity,
    e.escalatedFrom && `from ${e.escalatedFrom}`,
    `since ${minutesOf(e.since)}`,
    e.endsAt !== undefined && `ends ${minutesOf(e.endsAt)}`,
  ]
    .filter(Boolean)
    .join(" ");
}

const scenarios: Scenario[] = [
  {
    name: "when bad sweeps stay below failAfter, then nothing fires",
    policy: { failAfter: 3 },
    sweeps: [
      [0, "down"],
      [1, "down"],
      [2, "healthy"],
      [3, "degraded"],
      [4, "degraded"],
    ],
  },
  {
    name: "when failAfter consecutive bad sweeps arrive, then it fires once, since the first bad sweep",
    sweeps: [
      [0, "healthy"],
      [1, "degraded"],
      [2, "degraded", "firing degraded since 1"],
      [3, "degraded"],
      [4, "degraded"],
    ],
  },
  {
    name: "when failAfter is 1, then the first bad sweep fires",
    policy: { failAfter: 1 },
    sweeps: [[0, "down", "firing down since 0"]],
  },
  {
    name: "when the streak that fires was worse earlier, then it fires at the worst severity seen",
    sweeps: [
      [0, "down"],
      [1, "degraded", "firing down since 0"],
    ],
  },
  {
    name: "when sweeps alternate ok and fail, then it never fires",
    sweeps: [
      [0, "down"],
      [1, "healthy"],
      [2, "down"],
      [3, "healthy"],
      [4, "degraded"],
      [5, "healthy"],
      [6, "down"],
    ],
  },
  {
    name: "when every sweep is unknown, then nothing ever fires",
    policy: { failAfter: 1 },
    sweeps: [
      [0, "unknown"],
      [1, "unknown"],
      [2, "unknown"],
    ],
  },
  {
    name: "when unknown sweeps interrupt a bad streak, then they neither count toward failAfter nor reset it",
    policy: { failAfter: 3 },
    sweeps: [
      [0, "down"],
      [1, "unknown"],
      [2, "unknown"],
      [3, "down"],
      [4, "down", "firing down since 0"],
    ],
  },
  {
    name: "when unknown sweeps come while firing, then they neither remind nor resolve nor break the recovery",
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [90, "unknown"],
      [91, "unknown"],
      [92, "healthy"],
      [93, "unknown"],
      [94, "healthy", "resolved down since 0 ends 94"],
    ],
  },
  {
    name: "when a degraded alert gets a down sweep, then an escalation fires at once and restarts the reminder clock",
    sweeps: [
      [0, "degraded"],
      [1, "degraded", "firing degraded since 0"],
      [30, "down", "firing down from degraded since 0"],
      [61, "down"],
      [90, "down", "reminder down since 0"],
    ],
  },
  {
    name: "when a down alert improves to degraded, then nothing is sent and reminders keep saying down",
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [2, "degraded"],
      [3, "degraded"],
      [61, "degraded", "reminder down since 0"],
      [62, "down"],
    ],
  },
  {
    name: "when an alert keeps failing, then a reminder goes out each repeatInterval after the last notification and not before",
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [60, "down"],
      [61, "down", "reminder down since 0"],
      [120, "down"],
      [121, "down", "reminder down since 0"],
      [125, "down"],
    ],
  },
  {
    name: "when the reminder falls due on a healthy sweep of an unfinished recovery, then no reminder goes out",
    policy: { recoverAfter: 3 },
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [61, "healthy"],
      [62, "down", "reminder down since 0"],
    ],
  },
  {
    name: "when recoverAfter healthy sweeps follow, then it resolves once and the next failure is a new alert",
    sweeps: [
      [0, "degraded"],
      [1, "down", "firing down since 0"],
      [2, "healthy"],
      [3, "healthy", "resolved down since 0 ends 3"],
      [4, "healthy"],
      [5, "degraded"],
      [6, "degraded", "firing degraded since 5"],
    ],
  },
  {
    name: "when a bad sweep interrupts the recovery, then the healthy count starts over",
    policy: { recoverAfter: 3 },
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [2, "healthy"],
      [3, "healthy"],
      [4, "degraded"],
      [5, "healthy"],
      [6, "healthy"],
      [7, "healthy", "resolved down since 0 ends 7"],
    ],
  },
  {
    name: "when sendResolved is false, then the recovery is silent and the state is cleared",
    policy: { sendResolved: false },
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [2, "healthy"],
      [3, "healthy"],
      [4, "down"],
      [5, "down", "firing down since 4"],
    ],
  },
  {
    name: "when a silence starts while firing, then no reminder goes out until it ends, then the overdue one does",
    muted: [30, 200],
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [61, "down"],
      [121, "down"],
      [199, "down"],
      [200, "down", "reminder down since 0"],
      [201, "down"],
    ],
  },
  {
    name: "when an alert fires while muted and still fails when the silence ends, then the firing goes out on the first unmuted sweep",
    muted: [0, 10],
    sweeps: [
      [0, "degraded"],
      [1, "degraded"],
      [2, "down"],
      [5, "degraded"],
      [10, "degraded", "firing down since 0"],
      [11, "degraded"],
    ],
  },
  {
    name: "when an alert fired muted is still firing but recovering when the silence ends, then the owed firing still goes out",
    muted: [0, 10],
    policy: { recoverAfter: 3 },
    sweeps: [
      [0, "down"],
      [1, "down"],
      [9, "healthy"],
      [10, "healthy", "firing down since 0"],
      [11, "healthy", "resolved down since 0 ends 11"],
    ],
  },
  {
    name: "when an announced alert escalates while muted, then the escalation goes out when the silence ends",
    muted: [5, 20],
    sweeps: [
      [0, "degraded"],
      [1, "degraded", "firing degraded since 0"],
      [5, "down"],
      [20, "down", "firing down from degraded since 0"],
    ],
  },
  {
    name: "when an announced alert resolves while muted, then the resolved goes out at once and nothing more when the silence ends",
    muted: [5, 20],
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [5, "down"],
      [6, "healthy"],
      [7, "healthy", "resolved down since 0 ends 7"],
      [20, "healthy"],
    ],
  },
  {
    name: "when an alert fires and resolves entirely while muted, then nothing is ever sent",
    muted: [0, 20],
    sweeps: [
      [0, "down"],
      [1, "down"],
      [2, "healthy"],
      [3, "healthy"],
      [20, "healthy"],
    ],
  },
  {
    name: "when the process restarts while firing, then there is no second firing, reminders keep their clock and the resolved still goes out",
    restartBefore: 2,
    sweeps: [
      [0, "down"],
      [1, "down", "firing down since 0"],
      [2, "down"],
      [61, "down", "reminder down since 0"],
      [62, "healthy"],
      [63, "healthy", "resolved down since 0 ends 63"],
    ],
  },
  {
    name: "when the process restarts mid-streak, then the streak carries on and fires since its first sweep",
    policy: { failAfter: 3 },
    restartBefore: 2,
    sweeps: [
      [0, "degraded"],
      [1, "degraded"],
      [2, "degraded", "firing degraded since 0"],
    ],
  },
  {
    name: "when the process restarts while an alert that fired muted is owed, then it goes out once unmuted",
    muted: [0, 10],
    restartBefore: 5,
    sweeps: [
      [0, "down"],
      [1, "down"],
      [5, "down"],
      [10, "down", "firing down since 0"],
      [11, "down"],
    ],
  },
];

describe("alert state machine", () => {
  for (const scenario of scenarios) it(scenario.name, () => {
    const policy: AlertPolicy = { ...DEFAULTS, ...scenario.policy };
    const [mutedFrom, mutedUntil] = scenario.muted ?? [Infinity, Infinity];
    let state: AlertState | undefined;
    const seen: string[][] = [];
    const expected: string[][] = [];
    for (const [m, health, ...events] of scenario.sweeps) {
      if (m === scenario.restartBefore) state = JSON.parse(JSON.stringify(state)) as AlertState;
      const before = JSON.stringify(state);
      const at = minute(m);
      const out = step(state, { health, at, muted: mutedFrom <= m && m < mutedUntil }, policy);
      expect(JSON.stringify(state), "step must not mutate the previous state").toBe(before);
      expect(JSON.parse(JSON.stringify(out.state)), "the state must survive JSON").toEqual(out.state);
      for (const e of out.events) expect(e.at, `event at minute ${m}`).toBe(at.toISOString());
      seen.push([`${m}`, ...out.events.map(describeEvent)]);
      expected.push([`${m}`, ...events]);
      state = out.state;
    }
    expect(seen).toEqual(expected);
  });

  it("when an alert resolves, then the state it returns is idle", () => {
    let state: AlertState | undefined;
    for (const [m, health] of [[0, "down"], [1, "down"], [2, "healthy"], [3, "healthy"]] as const)
      state = step(state, { health, at: minute(m), muted: false }, DEFAULTS).state;
    expect(state && isIdle(state)).toBe(true);
  });

  it("when a bot has only healthy sweeps, then its state stays idle and equal", () => {
    const first = step(undefined, { health: "healthy", at: minute(0), muted: false }, DEFAULTS).state;
    const second = step(first, { health: "healthy", at: minute(1), muted: false }, DEFAULTS).state;
    expect(isIdle(second)).toBe(true);
    expect(second).toEqual(first);
  });
});
