import type { CheckDefinition } from "./define-check.ts";
import type { BotStatus, CheckResult, MonitoredBot } from "../model.ts";
import type { BotClient } from "../telegram/client.ts";
import { TelegramError } from "../telegram/errors.ts";
import { botHealth } from "../health.ts";
import { redactSecrets } from "../redact.ts";
import { SweepTelegram } from "./sweep-telegram.ts";

const REMEDIATION_UNKNOWN =
  "Nothing is known to be wrong with the bot: the monitor could not get an answer from Telegram. If this persists, check the monitor's network path to the Bot API.";

export interface SweepHooks {
  /** Called once per finished check (metrics). */
  onCheck?(bot: MonitoredBot, result: CheckResult): void;
}

/**
 * Runs every check for one bot. The runner owns the frame around each check: prerequisites
 * (a check runs only when all it depends on is `ok`, else `skipped`), timing, and turning an
 * escaped error into a result — Telegram refusals (4xx) into `fail`, everything that says
 * nothing about the bot (network, timeout, 5xx, 429) into `unknown`. Independent branches of
 * the dependency graph run concurrently; memoized reads keep it to one request per method.
 */
export async function runSweep(
  bot: MonitoredBot,
  checks: readonly CheckDefinition[],
  client: BotClient,
  previous: BotStatus | undefined,
  hooks: SweepHooks = {},
  clock: () => Date = () => new Date(),
): Promise<BotStatus> {
  const telegram = new SweepTelegram(client, bot);
  const pending = new Map<string, Promise<CheckResult>>();
  const previousById = new Map(previous?.checks.map((c) => [c.check, c]));

  const resultOf = (check: CheckDefinition): Promise<CheckResult> => {
    let p = pending.get(check.id);
    if (!p) {
      p = (async () => {
        const deps = await Promise.all(check.dependsOn.map((id) => resultOf(byId(checks, id))));
        const notOk = deps.find((d) => d.status !== "ok");
        const started = performance.now();
        const at = clock();
        const partial = notOk
          ? { status: "skipped" as const, message: `skipped: ${notOk.check} did not pass` }
          : await evaluate(check, bot, telegram, at);
        const result = withSince(
          { check: check.id, ...partial, durationMs: Math.round((performance.now() - started) * 10) / 10, at: at.toISOString() },
          previousById.get(check.id),
        );
        hooks.onCheck?.(bot, result);
        return result;
      })();
      pending.set(check.id, p);
    }
    return p;
  };

  const results = await Promise.all(checks.map(resultOf));
  const health = botHealth(results);
  const checkedAt = clock().toISOString();
  return {
    name: bot.name,
    username: bot.username,
    health,
    since: previous && previous.health === health ? previous.since : checkedAt,
    checkedAt,
    checks: results,
    observed: telegram.observed,
  };
}

type Partial = Pick<CheckResult, "status" | "message" | "remediation" | "impact">;

async function evaluate(check: CheckDefinition, bot: MonitoredBot, telegram: SweepTelegram, now: Date): Promise<Partial> {
  try {
    const verdict = await check.run({ bot, telegram, now }, (bot.checks[check.id] ?? {}) as never);
    if (verdict.status === "fail") return { ...verdict, impact: verdict.impact ?? check.impact };
    return verdict;
  } catch (err) {
    if (err instanceof TelegramError && err.unreachable)
      return { status: "unknown", message: `${err.method}: ${err.description}`, remediation: REMEDIATION_UNKNOWN };
    if (err instanceof TelegramError)
      return {
        status: "fail",
        message: `Telegram refused ${err.method}: ${err.description}`,
        remediation: "See the setup guide for this step; Telegram's answer above says what it rejected.",
        impact: check.impact,
      };
    // A bug in a check must not take the sweep down; it says nothing about the bot either.
    const message = err instanceof Error ? err.message : String(err);
    return { status: "unknown", message: `check crashed: ${redactSecrets(message)}`, remediation: REMEDIATION_UNKNOWN };
  }
}

function withSince(result: Omit<CheckResult, "since">, previous: CheckResult | undefined): CheckResult {
  const since = previous && previous.status === result.status ? previous.since : result.at;
  return { ...result, since };
}

function byId(checks: readonly CheckDefinition[], id: string): CheckDefinition {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`check dependency "${id}" is not registered`);
  return found;
}
