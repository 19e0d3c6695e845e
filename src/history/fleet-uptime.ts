import { DAY_MS, utcDay } from "./spans.ts";
import { coverage, uptime, type Uptime } from "./uptime.ts";
import { readDayTransitions, readFleetDay, type BotNames, type CallIds, type FleetDay } from "./fleet-day.ts";
import { CoveredTime, NONE, Tally, healthCode, tallyPass, transitionsFrom, type Transitions } from "./health-pass.ts";
import { ask, type Reads } from "./stored-rows.ts";

/**
 * The fleet's uptime from the daily rollups, exact (README, "Storage and history"), on either engine.
 *
 * A window [from, now) is, per bot: the running total at the last rolled-up day, minus the one at the
 * end of the day before `from`'s day, minus the part of `from`'s day before `from`, plus the time since
 * the last rolled-up day. Only those two pieces are computed from transitions, in one pass each over
 * their transitions into typed arrays (health-pass.ts), and the piece since the last rolled-up day is
 * shared by every window: `/status` for 10,000 bots reads five packed rows and two or three days' worth
 * of transitions, and makes no object per bot until the answer.
 */

/** Rollups this many days behind (the monitor was stopped for days) are not walked through to a window's start. */
const MAX_DAYS_BEHIND = 3;

/** Uptime of every bot over each window ending at `now` (window name → length in ms). */
export function* fleetUptime(names: BotNames, now: number, windows: Record<string, number>): Reads<Map<string, Record<string, Uptime>>> {
  const last = yield* ask("lastRolledDay");
  const rolled = last === undefined ? undefined : Math.min(last, utcDay(now) - 1);
  const ids = yield* names.ids();
  const days = new Map<number, FleetDay | undefined>();
  function* dayOf(day: number): Reads<FleetDay | undefined> {
    if (!days.has(day)) days.set(day, yield* readFleetDay(day, ids));
    return days.get(day);
  }
  const reads = new Map<string, Transitions>();
  function* transitionsOf(from: number, to: number): Reads<Transitions> {
    const key = `${from}:${to}`;
    if (!reads.has(key)) reads.set(key, transitionsFrom(yield* ask("transitions", from, to), ids));
    return reads.get(key)!;
  }

  // First every read (each may number new bots), then the arithmetic over arrays of the final size.
  const sinceRolled = rolled === undefined ? undefined : (rolled + 1) * DAY_MS;
  const plans: Plan[] = [];
  for (const [name, windowMs] of Object.entries(windows)) {
    const from = now - windowMs;
    const first = utcDay(from);
    if (rolled !== undefined && first <= rolled) {
      // Running totals from the end of the day before `first` to the end of `rolled`, less [first's start, from).
      const totals = { last: yield* dayOf(rolled), before: yield* dayOf(first - 1) };
      const lead = { starts: (yield* dayOf(first - 1))?.end, transitions: (yield* readDayTransitions(first)) ?? (yield* transitionsOf(first * DAY_MS, from)), from: first * DAY_MS };
      plans.push({ name, windowMs, from, totals, lead });
      continue;
    }
    // No rolled-up day in the window: walk from the last rolled-up day, or from the last health before it.
    const walk = sinceRolled !== undefined && from - sinceRolled <= MAX_DAYS_BEHIND * DAY_MS;
    const scanFrom = walk ? sinceRolled : from;
    const starts = walk ? (yield* dayOf(rolled!))?.end : yield* lastHealthsBefore(from, ids);
    plans.push({ name, windowMs, from, scan: { scanFrom, starts, transitions: yield* transitionsOf(scanFrom, now) } });
  }
  const tail = sinceRolled === undefined || sinceRolled >= now ? undefined : { starts: (yield* dayOf(rolled!))?.end, transitions: yield* transitionsOf(sinceRolled, now) };
  const earliest = Math.min(now, ...plans.map((p) => p.lead?.from ?? p.scan!.scanFrom));
  const covered = new CoveredTime(coverage(yield* ask("runs", earliest, now)));

  const bots = ids.size;
  const present = new Uint8Array(bots);
  const pass = (starts: Uint8Array | undefined, transitions: Transitions, countFrom: number, to: number, into: Tally, sign: 1 | -1) => {
    const end = tallyPass({ starts: starts ?? new Uint8Array(0), transitions, countFrom, to, covered, into, sign });
    for (let bot = 0; bot < bots; bot++) if (end[bot] !== NONE) present[bot] = 1;
  };
  const sinceTally = new Tally(bots);
  if (tail) pass(tail.starts, tail.transitions, sinceRolled!, now, sinceTally, 1);
  const tallies = plans.map((plan) => {
    const tally = new Tally(bots);
    if (plan.totals) {
      const { last: at, before } = plan.totals;
      for (let bot = 0; bot < bots; bot++) {
        if ((at?.end[bot] ?? NONE) !== NONE) present[bot] = 1;
        tally.known[bot] = (at?.known[bot] ?? 0) - (before?.known[bot] ?? 0) + sinceTally.known[bot]!;
        tally.up[bot] = (at?.up[bot] ?? 0) - (before?.up[bot] ?? 0) + sinceTally.up[bot]!;
        tally.healthy[bot] = (at?.healthy[bot] ?? 0) - (before?.healthy[bot] ?? 0) + sinceTally.healthy[bot]!;
      }
      pass(plan.lead!.starts, plan.lead!.transitions, plan.lead!.from, plan.from, tally, -1);
    } else pass(plan.scan!.starts, plan.scan!.transitions, plan.from, now, tally, 1);
    return tally;
  });

  const out = new Map<string, Record<string, Uptime>>();
  for (let bot = 0; bot < bots; bot++) {
    if (!present[bot]) continue;
    const record: Record<string, Uptime> = {};
    plans.forEach((plan, i) => {
      const t = tallies[i]!;
      const knownMs = t.known[bot]!;
      record[plan.name] = uptime({ windowMs: plan.windowMs, knownMs, upMs: t.up[bot]!, healthyMs: t.healthy[bot]!, downMs: knownMs - t.up[bot]! });
    });
    out.set(ids.name(bot), record);
  }
  return out;
}

interface Plan {
  name: string;
  windowMs: number;
  from: number;
  totals?: { last: FleetDay | undefined; before: FleetDay | undefined };
  lead?: { starts: Uint8Array | undefined; transitions: Transitions; from: number };
  scan?: { scanFrom: number; starts: Uint8Array | undefined; transitions: Transitions };
}

/** Every bot's last health before `at`, from the transitions (no rollups to start from: a scan). */
export function* lastHealthsBefore(at: number, ids: CallIds): Reads<Uint8Array> {
  const numbered = (yield* ask("lastHealthsBefore", at)).map(([bot, health]) => [ids.id(bot), healthCode(health)] as const);
  const starts = new Uint8Array(ids.size);
  for (const [bot, code] of numbered) starts[bot] = code;
  return starts;
}
