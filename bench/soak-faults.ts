/**
 * The soak's faults, one every period in rotation: a 429 storm with retry_after, a 5xx (500, then the
 * proxy's 502 and 503 pages in turn), hangs, connection resets, and (on PostgreSQL) a restart of the
 * database server. Telegram's faults go through the stand-in's sandbox control API, as an operator's
 * curl would; each is held for `holdMs`, then removed.
 *
 * Hangs hit 1 % of the bots (one fault per bot): a hang costs a sweep the whole telegram.timeout, and
 * a fleet where every call hangs is an outage of the monitor's concurrency, not a soak. The other
 * Telegram faults hit every bot, so the "cannot reach Telegram" alert fires and must resolve.
 */
import type { FaultInput } from "../src/sandbox/faults.ts";
import { clearFaults, injectFault } from "../test/support/healthy-fleet.ts";
import type { RunningPostgres } from "../test/support/postgres.ts";
import { fleet } from "./fleet.ts";

export type FaultKind = "429 storm" | "5xx" | "hang" | "reset" | "postgres restart";

export interface FaultWindow {
  kind: FaultKind;
  /** What was injected, in words (e.g. "502 nginx page, every call"). */
  detail: string;
  /** ms since the soak's start. */
  from: number;
  to: number;
  /** Whether every bot met it (so the monitor alert must fire and resolve). */
  fleetWide: boolean;
}

export interface FaultPlan {
  sandboxUrl: string;
  bots: number;
  holdMs: number;
  retryAfterS: number;
  postgres?: RunningPostgres;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function rotation(postgres: boolean): FaultKind[] {
  return ["429 storm", "5xx", "hang", "reset", ...(postgres ? (["postgres restart"] as const) : [])];
}

/** Injects fault number `index` of the rotation, holds it, removes it; resolves with its window. */
export async function runFault(plan: FaultPlan, index: number, sinceStart: () => number): Promise<FaultWindow> {
  const kinds = rotation(plan.postgres !== undefined);
  const kind = kinds[index % kinds.length]!;
  const round = Math.floor(index / kinds.length);
  const from = sinceStart();
  let detail: string;
  let fleetWide = true;
  if (kind === "postgres restart") {
    detail = `server stopped (fast shutdown) for ${plan.holdMs / 1000} s, then started on the same data`;
    await plan.postgres!.stop("fast");
    await sleep(plan.holdMs);
    await plan.postgres!.start();
    return { kind, detail, from, to: sinceStart(), fleetWide: false };
  }
  const faults: FaultInput[] = [];
  if (kind === "429 storm") {
    faults.push({ status: 429, retryAfter: plan.retryAfterS });
    detail = `429 with retry_after ${plan.retryAfterS} s, every call`;
  } else if (kind === "5xx") {
    const status = ([500, 502, 503] as const)[round % 3];
    faults.push({ status });
    detail = `${status}${status === 500 ? " in the Bot API's JSON" : " nginx HTML page"}, every call`;
  } else if (kind === "reset") {
    faults.push({ reset: true });
    detail = "connection reset, every call";
  } else {
    fleetWide = false;
    const hung = fleet(plan.bots).filter((_, i) => i % 100 === (37 + round) % 100);
    for (const b of hung) faults.push({ bot: b.username, hang: true });
    detail = `every call of ${hung.length} bots (1 %) hangs`;
  }
  for (const f of faults) await injectFault(plan.sandboxUrl, f);
  await sleep(plan.holdMs);
  await clearFaults(plan.sandboxUrl);
  return { kind, detail, from, to: sinceStart(), fleetWide };
}
