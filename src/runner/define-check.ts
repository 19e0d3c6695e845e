import type { z } from "zod";
import type { Impact, MonitoredBot } from "../model.ts";
import type { SweepTelegram } from "./sweep-telegram.ts";
import type { TestAccount } from "../testaccount/types.ts";

/**
 * The one interface every check implements (one module each under `checks/`).
 *
 * A check only decides: it reads what it needs through `ctx.telegram` (memoized per sweep, so
 * one getMe serves token, identity and business-mode) and returns a verdict. The runner owns
 * everything around it: dependency order, timeouts, timing, turning network errors, timeouts,
 * 5xx and 429 into `unknown`, metrics and logs. A check may simply let a TelegramError escape.
 */
export interface CheckDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Stable id: config key, `check` label, status field. */
  id: string;
  /** Short human title, as a step of the setup guide. */
  title: string;
  /** Checks that must be `ok` first; otherwise this one is `skipped`. */
  dependsOn: readonly string[];
  /** What a `fail` of this check means for the bot, unless the verdict says otherwise. */
  impact: Impact;
  /** This check's options under `checks.<id>` (defaults) and `bots[].checks.<id>` (overrides). */
  options: S;
  /**
   * Set for a check that runs on its own, slower schedule instead of in every sweep (round-trip):
   * the interval, from the check's options. Sweeps carry its last result forward.
   */
  ownInterval?: (options: z.infer<S>) => number;
  run(ctx: CheckContext, options: z.infer<S>): Promise<Verdict>;
}

export interface CheckContext {
  readonly bot: MonitoredBot;
  readonly telegram: SweepTelegram;
  readonly now: Date;
  /** The Telegram user account for live tests, when one is configured. */
  readonly testAccount?: TestAccount;
}

export type Verdict = (
  | { status: "ok"; message?: string }
  | { status: "warn"; message: string; remediation: string }
  | { status: "fail"; message: string; remediation: string; impact?: Impact }
  | { status: "skipped"; message: string }
) & {
  /** A latency the check measured (round-trip), for its histogram. */
  latencyMs?: number;
};

export function defineCheck<S extends z.ZodObject>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}

export const ok = (message?: string): Verdict => (message ? { status: "ok", message } : { status: "ok" });
export const warn = (message: string, remediation: string): Verdict => ({ status: "warn", message, remediation });
export const fail = (message: string, remediation: string, impact?: Impact): Verdict =>
  impact ? { status: "fail", message, remediation, impact } : { status: "fail", message, remediation };
export const skip = (message: string): Verdict => ({ status: "skipped", message });
