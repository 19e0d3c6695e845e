import { z } from "zod";
import type { Registry } from "prom-client";
import type { BotTarget, CheckOptionsBase, CheckOptionsById, CheckResult, Impact, OwnerFix, Remembered } from "../check-model.ts";
import type { SweepTelegram } from "./sweep-telegram.ts";
import type { TestAccount } from "../testaccount/types.ts";

/** A check's options: its own schema's output and the `enabled` every check has. */
export type OptionsOfSchema<S extends z.ZodObject> = CheckOptionsBase & z.output<S>;

/** What a check module writes (one module each under `checks/`), given to `defineCheck`. */
export interface CheckSpec<Id extends string, S extends z.ZodObject> {
  /** Stable id: config key, `check` label, status field. */
  id: Id;
  /** Short human title, as a step of the setup guide. */
  title: string;
  /** Checks that must be `ok` first; otherwise this one is `skipped`. */
  dependsOn: readonly string[];
  /** What a `fail` of this check means for the bot, unless the verdict says otherwise. */
  impact: Impact;
  /**
   * This check's options under `checks.<id>` (defaults) and `bots[].checks.<id>` (overrides); every
   * field needs a default. `enabled` is added to them: do not declare it.
   */
  options: S;
  /** The default of `enabled` (true unless the check costs something real, as the live test does). */
  enabledByDefault?: boolean;
  /**
   * Set for a check that runs on its own, slower schedule instead of in every sweep (round-trip):
   * the interval, from the bot's options. Sweeps carry its last result forward.
   */
  ownInterval?(options: OptionsOfSchema<S>): number;
  /** The check needs the test account (`testAccount.session`) when enabled: config validation says so. */
  needsTestAccount?: boolean;
  /**
   * What this check carries from sweep to sweep (webhook: the backlog it watches for a stall): it reads
   * them in `ctx.remembered` and sets them with each verdict (`Verdict.remember`; a key left out is
   * forgotten). A sweep in which it gives no verdict (Telegram's answer unknown, a prerequisite failing)
   * keeps them as they were: no answer is no evidence. A disabled check's are dropped.
   */
  remembers?: readonly (keyof Remembered)[];
  /** Metrics this check alone feeds, made once on the service's registry (round-trip's latency histogram). */
  metrics?(registers: Registry[]): CheckMetrics<OptionsOfSchema<S>>;
  /** What `doctor` does with this check beyond one step titled `title` (see `DoctorHooks`). */
  doctor?: DoctorHooks<OptionsOfSchema<S>>;
  run(ctx: CheckContext, options: OptionsOfSchema<S>): Promise<Verdict>;
}

/**
 * The one interface every check implements, as `defineCheck` makes it from a module's spec.
 *
 * A check only decides: it reads what it needs through `ctx.telegram` (memoized per sweep, so
 * one getMe serves token, identity and business-mode) and returns a verdict. The runner owns
 * everything around it: dependency order, timeouts, timing, turning network errors, timeouts,
 * 5xx and 429 into `unknown`, metrics and logs. A check may simply let a TelegramError escape.
 */
export interface CheckDefinition<Id extends string = string, O extends CheckOptionsBase = CheckOptionsBase> {
  readonly id: Id;
  readonly title: string;
  readonly dependsOn: readonly string[];
  readonly impact: Impact;
  /** The options' schema, `enabled` included: config validation and the JSON Schema derive from it. */
  readonly options: z.ZodObject;
  /** The options of a bot that sets none. */
  readonly defaults: O;
  readonly needsTestAccount: boolean;
  readonly remembers: readonly (keyof Remembered)[];
  ownInterval?(options: O): number;
  metrics?(registers: Registry[]): CheckMetrics<O>;
  readonly doctor?: DoctorHooks<O>;
  /** This check's options among a bot's (`MonitoredBot.checks`): what they set, over its defaults. */
  optionsFor(checks: { readonly [K in Id]?: Partial<O> | undefined }): O;
  run(ctx: CheckContext, options: O): Promise<Verdict>;
}

/** Any registered check, its own option types erased: what the runner, config and metrics handle. */
export type AnyCheck = CheckDefinition<string, CheckOptionsBase>;
/** A list of checks in dependency order: `CHECKS`, or `CHECKS` and plug-ins a test passes to the service. */
export type CheckRegistry = readonly AnyCheck[];

/** Per check id of a registry, that check's options (`OptionsOf<typeof CHECKS>` is `config.checks`). */
export type OptionsOf<R extends CheckRegistry> = { [C in R[number] as C["id"]]: C["defaults"] };

/** What a check's own metrics are fed: each finished (not carried) result of that check. */
export interface CheckMetrics<O> {
  observe(bot: BotTarget, result: CheckResult, options: O): void;
}

/**
 * How `doctor` (the setup guide, step by step) treats a check, where one step titled `title` with
 * the check's result is not the whole story. The doctor itself names no check: it asks these.
 */
export interface DoctorHooks<O> {
  /**
   * Before any check runs, learns a fact about the bot that the operator did not pass (the
   * connection step: the owner, from the connection), through a Telegram view of the bot as far
   * as it is known. When this check then passes, its step is the returned warning instead: it
   * passed on a guess, which the operator is asked to confirm.
   */
  infer?(bot: DoctorBot, telegram: SweepTelegram): Promise<DoctorInference | undefined>;
  /**
   * The check's steps, when it is more than one (the live test: inbound, then outbound): each runs
   * the check alone, after the sweep, with these options over the bot's.
   */
  readonly steps?: ReadonlyArray<{ readonly title: string; readonly options: Partial<O> }>;
}

/** The bot `doctor` checks, as given on its command line: the owner may be left to be inferred. */
export type DoctorBot = Omit<BotTarget, "ownerId"> & { ownerId?: number };

/** What a `DoctorHooks.infer` learned, and how the step says it must be confirmed. */
export interface DoctorInference {
  /** Facts of the bot learned from Telegram, over what was given. */
  bot: Partial<BotTarget>;
  /** The step's warning when the check passes on those facts. */
  confirm: { message: string; remediation: string };
}

export interface CheckContext {
  readonly bot: BotTarget;
  readonly telegram: SweepTelegram;
  readonly now: Date;
  /** The sweep's: aborted when the service stops, so a check's waits and Telegram calls end at once. */
  readonly signal: AbortSignal;
  /** The Telegram user account for live tests, when one is configured. */
  readonly testAccount?: TestAccount;
  /** What the checks remembered after the bot's last sweep (`CheckSpec.remembers`); absent before its first. */
  readonly remembered?: Remembered;
}

export type Verdict = (
  | { status: "ok"; message?: string }
  | { status: "warn"; message: string; remediation: string }
  | { status: "fail"; message: string; remediation: string; impact?: Impact }
  | { status: "skipped"; message: string }
  /** The monitor could not tell, for a reason of its own outside Telegram's answers (its DNS, its network path). */
  | { status: "unknown"; message: string; remediation: string }
) & {
  /** A latency the check measured (round-trip), for its histogram. */
  latencyMs?: number;
  /** What the owner can fix in Telegram, one per problem (the `owner` channel tells them); only on warn and fail. */
  ownerFixes?: OwnerFix[];
  /** What the check carries to the bot's next sweep, of the keys it `remembers`. */
  remember?: Remembered;
};

export function defineCheck<Id extends string, S extends z.ZodObject>(spec: CheckSpec<Id, S>): CheckDefinition<Id, OptionsOfSchema<S>> {
  const enabled = z.boolean().default(spec.enabledByDefault ?? true).describe("false: this check does not run");
  const options = z.strictObject({ enabled, ...spec.options.shape });
  const defaults: OptionsOfSchema<S> = { enabled: spec.enabledByDefault ?? true, ...spec.options.parse({}) };
  return {
    ...spec,
    options: spec.options.description ? options.describe(spec.options.description) : options,
    defaults,
    needsTestAccount: spec.needsTestAccount ?? false,
    remembers: spec.remembers ?? [],
    optionsFor: (checks) => {
      const set = checks[spec.id];
      return set ? { ...defaults, ...set } : defaults;
    },
  };
}

/** Whether `check` runs for `bot` (its `enabled` option, every check has one). */
export function isEnabled(bot: { readonly checks: CheckOptionsById }, check: AnyCheck): boolean {
  return check.optionsFor(bot.checks).enabled;
}

export const ok = (message?: string): Verdict => (message ? { status: "ok", message } : { status: "ok" });
export const warn = (message: string, remediation: string): Verdict => ({ status: "warn", message, remediation });
export const fail = (message: string, remediation: string, impact?: Impact): Verdict =>
  impact ? { status: "fail", message, remediation, impact } : { status: "fail", message, remediation };
export const skip = (message: string): Verdict => ({ status: "skipped", message });
/** `verdict`, marked as the profile owner's to fix, in their words. */
export const forOwner = (verdict: Verdict, ...fixes: OwnerFix[]): Verdict => (fixes.length > 0 ? { ...verdict, ownerFixes: fixes } : verdict);
export const unknown = (message: string, remediation: string): Verdict => ({ status: "unknown", message, remediation });
