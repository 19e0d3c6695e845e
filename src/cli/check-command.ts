import type { Logger } from "pino";
import { CHECKS } from "../../checks/index.ts";
import type { Config } from "../config/schema.ts";
import { resolveBots } from "../config/resolve-bots.ts";
import { configSecrets } from "../config/secrets.ts";
import { registerSecret } from "../redact.ts";
import { Monitor } from "../monitor.ts";
import { StateStore } from "../store/state-store.ts";
import type { WatchState } from "../watch-state.ts";
import { telegramSettings } from "../telegram/client.ts";
import { createTransport } from "../telegram/transport.ts";
import { fleetView, type FleetView } from "../http/status-view.ts";
import { inShard } from "../shard.ts";
import { createTestAccount } from "../testaccount/create.ts";
import { isEnabled } from "../runner/define-check.ts";

/** Health levels `check --fail-on` accepts, mildest first. */
export const FAIL_ON_LEVELS = ["degraded", "down"] as const;
export type FailOn = (typeof FAIL_ON_LEVELS)[number];

/**
 * Exit codes of `check` (README, "Command line"): 0 no fail, 1 some fail, 3 no fail but some unknown.
 * With `failOn` (for cron and CI), 1 means some bot's health is at least that level instead.
 */
export function checkExitCode(view: FleetView, failOn?: FailOn): 0 | 1 | 3 {
  const statuses = view.bots.flatMap((b) => b.checks.map((c) => c.status));
  if (failOn) {
    const worse = FAIL_ON_LEVELS.slice(FAIL_ON_LEVELS.indexOf(failOn)) as readonly string[];
    if (view.bots.some((b) => worse.includes(b.health))) return 1;
  } else if (statuses.includes("fail")) return 1;
  if (statuses.includes("unknown") || view.bots.some((b) => b.health === "unknown")) return 3;
  return 0;
}

export function parseFailOn(value: string | undefined): FailOn | undefined {
  if (value === undefined) return undefined;
  if ((FAIL_ON_LEVELS as readonly string[]).includes(value)) return value as FailOn;
  throw new UsageError(`--fail-on: expected one of ${FAIL_ON_LEVELS.join(", ")}, got "${value}"`);
}

/** One sweep of every bot (or one), run with the configured concurrency; nothing is persisted. */
export async function runCheckOnce(config: Config, logger: Logger, only?: string): Promise<FleetView> {
  configSecrets(config).forEach(registerSecret);
  const bots = resolveBots(config).filter((b) => inShard(b.name, config.shard) && (!only || b.name === only));
  if (only && bots.length === 0) throw new UsageError(`--bot: no bot named "${only}" in the config`);
  const store = await StateStore.open<WatchState>({ path: null });
  const transport = createTransport();
  const liveTests = bots.some((b) => CHECKS.some((c) => c.needsTestAccount && isEnabled(b, c)));
  const testAccount = liveTests ? await createTestAccount(config, logger) : undefined;
  const monitor = new Monitor({
    telegram: telegramSettings(config),
    checks: CHECKS,
    store,
    transport,
    logger,
    ...(testAccount && { testAccount }),
  });
  for (const bot of bots) monitor.upsert(bot);
  const queue = bots.map((b) => b.name);
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await monitor.sweep(name, { includeOwnSchedule: true });
  };
  await Promise.all(Array.from({ length: Math.min(config.schedule.concurrency, queue.length) }, worker));
  transport.close();
  await testAccount?.close();
  return fleetView(monitor.bots(), (n) => monitor.status(n));
}

const MARK: Record<string, string> = { ok: "✓", warn: "!", fail: "✗", unknown: "?", skipped: "-" };

/** The human table: one line per bot, then each check that is not ok with what to do. */
export function renderCheckTable(view: FleetView): string {
  const width = Math.max(4, ...view.bots.map((b) => b.name.length)) + 2;
  const lines = [`${"BOT".padEnd(width)}${"HEALTH".padEnd(10)}CHECKS`];
  for (const bot of view.bots) {
    const summary = bot.checks.map((c) => `${MARK[c.status]}${c.check}`).join(" ");
    lines.push(`${bot.name.padEnd(width)}${bot.health.padEnd(10)}${summary}`);
    for (const c of bot.checks) {
      if (c.status === "ok" || c.status === "skipped") continue;
      lines.push(`${" ".repeat(width)}${MARK[c.status]} ${c.check} ${c.status}: ${c.message ?? ""}`);
      if (c.remediation) lines.push(`${" ".repeat(width + 2)}→ ${c.remediation}`);
    }
  }
  lines.push("", `fleet: ${view.status}`);
  return lines.join("\n") + "\n";
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}
