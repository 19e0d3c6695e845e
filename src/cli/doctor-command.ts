import type { Logger } from "pino";
import { CHECKS } from "../../checks/index.ts";
import type { Config } from "../config/schema.ts";
import { configSecrets } from "../config/secrets.ts";
import type { CheckResult, MonitoredBot } from "../model.ts";
import { registerSecret, redactSecrets } from "../redact.ts";
import { runOwnCheck, runSweep } from "../runner/sweep.ts";
import { BotClient, telegramSettings } from "../telegram/client.ts";
import { TelegramError } from "../telegram/errors.ts";
import { createTransport } from "../telegram/transport.ts";
import type { WireBusinessConnection, WireWebhookInfo } from "../telegram/wire.ts";
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
  title: string;
  status: CheckResult["status"];
  message?: string;
  remediation?: string;
}

/** The setup guide's order: each step names what the guide asks the operator to verify. */
const GUIDE_STEPS: Array<{ check: string; title: string }> = [
  { check: "token", title: "The BotFather token is valid" },
  { check: "identity", title: "The token belongs to this bot (one production bot)" },
  { check: "business-mode", title: "Secretary Mode is enabled on this exact bot in BotFather" },
  { check: "connection", title: "The bot is connected to the Telegram profile that owns the conversations" },
  { check: "rights", title: "Secretary Mode permissions are complete" },
  { check: "scope", title: "The chat accessibility scope includes the test chat" },
  { check: "webhook", title: "Telegram delivers the bot's updates" },
];

/**
 * `secretary-watch doctor`: walks the setup guide for one bot, step by step, with the same checks
 * the service runs, then the live inbound and outbound test. Each step passes or fails with the
 * guide's remediation; the exit code follows `check`.
 */
export async function runDoctor(config: Config, args: DoctorArgs, logger: Logger, print: (line: string) => void): Promise<DoctorStep[]> {
  configSecrets(config).forEach(registerSecret);
  registerSecret(args.token);
  const transport = createTransport();
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

    // Without --owner, the profile the bot is attached to is taken from the connection, and the
    // operator is asked to confirm it is the right one.
    const found = args.owner === undefined && connectionId ? await connectedProfile(client, connectionId) : undefined;
    const bot: MonitoredBot = {
      name: "doctor",
      token: args.token,
      username: args.username,
      ownerId: args.owner ?? found?.id ?? 0,
      ...(connectionId && { businessConnectionId: connectionId }),
      probeChats: args.probeChat !== undefined ? [args.probeChat] : testAccount ? [testAccount.userId] : [],
      labels: {},
      checks: Object.fromEntries(CHECKS.map((c) => [c.id, { ...config.checks[c.id], ...(c.ownInterval && { enabled: true }) }])),
    };
    const status = await runSweep({ bot, checks: CHECKS.filter((c) => !c.ownInterval), client });
    for (const { check, title } of GUIDE_STEPS) {
      const r = status.checks.find((c) => c.check === check);
      if (!r) continue;
      if (check === "connection" && found && r.status === "ok") {
        report({
          title,
          status: "warn",
          message: `connected to ${found.name}; pass --owner ${found.id} to confirm it is the right profile`,
          remediation: "Verify that this is the account that should own the live Secretary Mode conversations: if you link the bot to the wrong Telegram account, AI may never answer from the profile you expect.",
        });
        continue;
      }
      report({ title, status: r.status, message: r.message, remediation: r.remediation });
    }

    const roundTrip = CHECKS.find((c) => c.id === "round-trip")!;
    for (const [mode, title] of [
      ["reply", "Live inbound test: a real message to the profile gets a reply"],
      ["outbound", "Live outbound test: a message sent through the bot reaches Telegram"],
    ] as const) {
      if (!testAccount) {
        report({ title, status: "skipped", message: "no test account (set testAccount.session; `secretary-watch login` prints one)" });
        continue;
      }
      const live = { ...bot, checks: { ...bot.checks, "round-trip": { ...bot.checks["round-trip"], mode } } };
      const after = await runOwnCheck({ bot: live, checks: CHECKS, client, check: roundTrip, status, testAccount });
      const r = after.checks.find((c) => c.check === "round-trip")!;
      report({ title, status: r.status, message: r.message, remediation: r.remediation });
    }
    return steps;
  } finally {
    transport.close();
    await testAccount?.close();
  }
}

/** The profile a connection is attached to, for display; undefined when it cannot be read (the connection step says why). */
async function connectedProfile(client: BotClient, id: string): Promise<{ id: number; name: string } | undefined> {
  try {
    const c = await client.call<WireBusinessConnection>("getBusinessConnection", { business_connection_id: id });
    return { id: c.user.id, name: c.user.username ? `@${c.user.username} (id ${c.user.id})` : `id ${c.user.id}` };
  } catch {
    return undefined;
  }
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
