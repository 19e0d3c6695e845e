import type { Logger } from "pino";
import { CHECKS } from "../../checks/index.ts";
import type { Config } from "../config/schema.ts";
import { configSecrets } from "../config/secrets.ts";
import type { BotTarget, CheckedBot, CheckOptionsBase, CheckResult } from "../check-model.ts";
import { registerSecret, redactSecrets } from "../redact.ts";
import { isEnabled, type AnyCheck, type DoctorBot, type DoctorInference } from "../runner/define-check.ts";
import { runOwnCheck, runSweep } from "../runner/sweep.ts";
import { SweepTelegram } from "../runner/sweep-telegram.ts";
import { BotClient, telegramSettings } from "../telegram/client.ts";
import { TelegramError } from "../telegram/errors.ts";
import { createTransport } from "../telegram/transport.ts";
import type { WireWebhookInfo } from "../telegram/wire.ts";
import { createTestAccount } from "../testaccount/create.ts";
import { UsageError } from "./check-command.ts";

export interface DoctorArgs {
  token: string;
  username: string;
  owner?: number;
  connection?: string;
  probeChat?: number;
  discover?: boolean;
}

export interface DoctorStep {
  /** The check this step ran; none for the steps around the checks (`--discover`). */
  check?: string;
  title: string;
  status: CheckResult["status"];
  message?: string;
  remediation?: string;
}

/**
 * `secretary-watch doctor`: walks the setup guide for one bot, step by step, with the same checks
 * the service runs, in the registry's order and with their titles: each check is a step, or the
 * steps its `doctor` hooks declare (the live test's inbound and outbound runs). Each step passes
 * or fails with the guide's remediation; the exit code follows `check`.
 */
export async function runDoctor(config: Config, args: DoctorArgs, logger: Logger, print: (line: string) => void): Promise<DoctorStep[]> {
  configSecrets(config).forEach(registerSecret);
  registerSecret(args.token);
  // --discover's getUpdates returns up to 100 updates, each with a message of up to 4096 characters.
  const transport = createTransport({ maxBodyBytes: 4 << 20 });
  const client = new BotClient(args.token, telegramSettings(config), transport, () => undefined);
  const steps: DoctorStep[] = [];
  const report = (step: DoctorStep) => {
    steps.push(step);
    const mark = { ok: "✓", warn: "!", fail: "✗", unknown: "?", skipped: "-" }[step.status];
    print(`${String(steps.length).padStart(2)}. ${mark} ${step.title}${step.message ? ` — ${step.message}` : ""}`);
    if (step.remediation && step.status !== "ok") print(`      → ${step.remediation}`);
  };
  const testAccount = await createTestAccount(config, logger).catch((err: Error) => {
    logger.warn({ err }, "test account unavailable");
    return undefined;
  });
  try {
    let connectionId = args.connection;
    if (!connectionId && args.discover) connectionId = await discover(client, report);
    const given: DoctorBot = {
      name: "doctor",
      token: args.token,
      username: args.username,
      ...(args.owner !== undefined && { ownerId: args.owner }),
      ...(connectionId && { businessConnectionId: connectionId }),
      probeChats: args.probeChat !== undefined ? [args.probeChat] : testAccount ? [testAccount.userId] : [],
      labels: {},
    };
    const { target, inferred } = await inferFacts(given, client);
    const bot: CheckedBot = {
      ...target,
      // The guide asks for the live test, so the checks on their own schedule run here even when off in the config.
      checks: Object.fromEntries(CHECKS.map((c) => [c.id, { ...config.checks[c.id], ...(c.ownInterval && { enabled: true }) }])),
    };
    const status = await runSweep({ bot, checks: CHECKS.filter((c) => !c.ownInterval), client });
    for (const check of CHECKS) {
      if (!isEnabled(bot, check)) continue;
      // A check declaring its own steps, or on its own schedule, runs alone after the sweep, once per step.
      const alone = check.doctor?.steps !== undefined || check.ownInterval !== undefined;
      for (const { title, options } of check.doctor?.steps ?? [{ title: check.title, options: {} }]) {
        if (check.needsTestAccount && !testAccount) {
          report({ check: check.id, title, status: "skipped", message: "no test account (set testAccount.session; `secretary-watch login` prints one)" });
          continue;
        }
        const after = alone
          ? await runOwnCheck({ bot: withOptions(bot, check, options), checks: CHECKS, client, check, status, ...(testAccount && { testAccount }) })
          : status;
        const r = after.checks.find((c) => c.check === check.id)!;
        const inference = inferred.get(check.id);
        if (inference && r.status === "ok") report({ check: check.id, title, status: "warn", ...inference.confirm });
        else report({ check: check.id, title, status: r.status, message: r.message, remediation: r.remediation });
      }
    }
    return steps;
  } finally {
    transport.close();
    await testAccount?.close();
  }
}

/**
 * Asks each check's `doctor.infer` hook, in the registry's order, for what the command line left out
 * (the owner); returns the bot completed, and by check id what each inferred.
 */
async function inferFacts(given: DoctorBot, client: BotClient): Promise<{ target: BotTarget; inferred: Map<string, DoctorInference> }> {
  // Owner 0 is no Telegram user: a bot whose owner was neither given nor found fails the connection step.
  const asTarget = (bot: DoctorBot): BotTarget => ({ ...bot, ownerId: bot.ownerId ?? 0 });
  let bot = given;
  const inferred = new Map<string, DoctorInference>();
  for (const check of CHECKS) {
    const inference = await check.doctor?.infer?.(bot, new SweepTelegram(client, asTarget(bot)));
    if (!inference) continue;
    bot = { ...bot, ...inference.bot };
    inferred.set(check.id, inference);
  }
  return { target: asTarget(bot), inferred };
}

/** The bot with `options` over its options for `check`: one of the check's doctor steps. */
function withOptions(bot: CheckedBot, check: AnyCheck, options: Partial<CheckOptionsBase>): CheckedBot {
  return { ...bot, checks: { ...bot.checks, [check.id]: { ...bot.checks[check.id], ...options } } };
}

/** `doctor --json`: the steps as printed, absent fields as null so every step has the same keys. */
export function doctorJson(apiRoot: string, steps: DoctorStep[]) {
  return {
    apiRoot,
    steps: steps.map((s) => ({ check: s.check ?? null, title: s.title, status: s.status, message: s.message ?? null, remediation: s.remediation ?? null })),
    exit: doctorExitCode(steps),
  };
}

/**
 * Finds the business connection id from pending updates. getUpdates consumes what it returns and
 * fails (409) on a bot with a webhook, so it runs only after getWebhookInfo shows no webhook.
 */
async function discover(client: BotClient, report: (s: DoctorStep) => void): Promise<string | undefined> {
  const title = "Find the business connection id (--discover)";
  try {
    const info = await client.call<WireWebhookInfo>("getWebhookInfo");
    if (info.url) {
      report({ title, status: "skipped", message: "the bot has a webhook, so getUpdates is not possible", remediation: "Take the id from the business_connection update your webhook handler received, and pass it with --connection." });
      return undefined;
    }
    const updates = await client.call<Array<{ business_connection?: { id: string }; business_message?: { business_connection_id?: string } }>>("getUpdates", {
      timeout: 0,
      limit: 100,
      allowed_updates: ["business_connection", "business_message"],
    });
    const id = updates.map((u) => u.business_connection?.id ?? u.business_message?.business_connection_id).find(Boolean);
    const note = `read ${updates.length} pending update(s) with getUpdates, which consumes them: the bot's own poller will not see them`;
    if (!id) {
      report({ title, status: "fail", message: `no business connection among them (${note})`, remediation: "No real message has been sent yet, so the Secretary connection event has not been created. Send a real message to the profile from another account, then run --discover again." });
      return undefined;
    }
    report({ title, status: "ok", message: `found ${id} (${note})` });
    return id;
  } catch (err) {
    const message = err instanceof TelegramError ? err.message : redactSecrets(String(err));
    report({ title, status: err instanceof TelegramError && err.unreachable ? "unknown" : "fail", message });
    return undefined;
  }
}

export function parseDoctorArgs(values: Record<string, string | boolean | undefined>): DoctorArgs {
  const need = (key: string) => {
    const v = values[key];
    if (typeof v !== "string" || v === "") throw new UsageError(`doctor: --${key} is required`);
    return v;
  };
  const int = (key: string) => {
    const v = values[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw new UsageError(`doctor: --${key} expects an integer id, got "${String(v)}"`);
    return Number(v);
  };
  const owner = int("owner");
  const probeChat = int("probe-chat");
  return {
    token: need("token"),
    username: need("username").replace(/^@/, ""),
    ...(owner !== undefined && { owner }),
    ...(typeof values.connection === "string" && values.connection && { connection: values.connection }),
    ...(probeChat !== undefined && { probeChat }),
    discover: values.discover === true,
  };
}

/** `check`'s exit codes: 1 some fail, 3 no fail but some unknown, else 0. */
export function doctorExitCode(steps: DoctorStep[]): 0 | 1 | 3 {
  if (steps.some((s) => s.status === "fail")) return 1;
  if (steps.some((s) => s.status === "unknown")) return 3;
  return 0;
}
