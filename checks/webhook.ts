import { z } from "zod";
import type { Backlog } from "../src/check-model.ts";
import type { WireWebhookInfo } from "../src/telegram/wire.ts";
import { defineCheck, fail, ok, warn, type OptionsOfSchema, type Verdict } from "../src/runner/define-check.ts";
import { durationBetween, formatDuration } from "../src/config/duration.ts";
import { REMEDIATION } from "./remediation.ts";
import { nextBacklog, stalledFor } from "./webhook-backlog.ts";

/** Without these, an explicit allowed_updates list silently drops Secretary traffic. */
const BUSINESS_UPDATES = ["business_connection", "business_message"];

const OPTIONS = z
  .object({
    mode: z.enum(["webhook", "polling", "any"]).default("webhook"),
    maxPendingUpdates: z.number().int().nonnegative().default(100),
    errorWindow: durationBetween(0, 7 * 86_400_000).default(10 * 60_000).describe("0s to 7d"),
    stalledAfter: durationBetween(1_000, 7 * 86_400_000).default(5 * 60_000).describe("1s to 7d"),
  })
  .strict();

/** Fails when Telegram reports a recent webhook delivery error, drops Secretary updates, or holds updates nobody consumes. */
export const webhook = defineCheck({
  id: "webhook",
  title: "Telegram delivers the bot's updates",
  dependsOn: ["token"],
  impact: "degraded",
  remembers: ["webhookBacklog"],
  options: OPTIONS,
  async run(ctx, options) {
    const info = await ctx.telegram.getWebhookInfo();
    // Every verdict below carries the backlog on, so whichever one this sweep gives, the next sweep compares.
    const backlog = nextBacklog(ctx.remembered?.webhookBacklog, info.pending_update_count, ctx.now);
    const verdict = judge(info, backlog, ctx.now, options);
    return backlog ? { ...verdict, remember: { webhookBacklog: backlog } } : verdict;
  },
});

/** The verdict on what getWebhookInfo answered, `backlog` being the pending updates as this sweep leaves them. */
function judge(info: WireWebhookInfo, backlog: Backlog | undefined, now: Date, options: OptionsOfSchema<typeof OPTIONS>): Verdict {
  const { mode, maxPendingUpdates, errorWindow, stalledAfter } = options;
  if (mode === "webhook" && !info.url) return fail("no webhook is set (the bot is configured for webhook mode)", REMEDIATION.webhookMissing);
  if (mode === "polling" && info.url) return fail("a webhook is set although the bot is configured for polling", REMEDIATION.webhookUnexpected);
  // last_error_date is never cleared by later successful deliveries: only a recent one counts.
  const errorAgeMs = info.last_error_date ? now.getTime() - info.last_error_date * 1000 : Infinity;
  if (errorAgeMs <= errorWindow) {
    // Neither the error's age nor its time: Telegram moves last_error_date with every failed retry, and a
    // message that changes every sweep would be a new verdict to write (and page) every sweep. The time
    // is on the metric secretary_webhook_last_error_timestamp_seconds.
    return fail(`webhook delivery failed within the last ${formatDuration(errorWindow)}: ${info.last_error_message ?? "no message"}`, REMEDIATION.webhookError);
  }
  const lacking = info.allowed_updates ? BUSINESS_UPDATES.filter((u) => !info.allowed_updates!.includes(u)) : [];
  if (lacking.length > 0) return fail(`allowed_updates lacks ${lacking.join(", ")}`, REMEDIATION.webhookAllowedUpdates);
  if (backlog && stalledFor(backlog, now, stalledAfter) !== undefined)
    // The stall's start, not its count or length: both move every sweep, and a message that changes every
    // sweep is a new verdict to write (and page) every sweep. The count is secretary_webhook_pending_updates.
    return fail(
      `updates pending and not being consumed since ${backlog.since.replace(/\.\d{3}Z$/, "Z")} (${formatDuration(stalledAfter)} or more)`,
      info.url ? REMEDIATION.webhookStalled : REMEDIATION.pollingStalled,
    );
  if (info.pending_update_count > maxPendingUpdates)
    return warn(`${info.pending_update_count} updates pending (more than ${maxPendingUpdates})`, REMEDIATION.webhookBacklog);
  return ok(`${info.pending_update_count} updates pending`);
}
