/**
 * The webhook check's scenario table, against a sandbox world over loopback (test/support/check-scenario.ts):
 * the delivery mode the bot is configured for, no recent delivery error, Secretary updates allowed, and
 * a backlog under the limit.
 */
import { describe, expect, it } from "vitest";
import { expectRow, jsonAnswer, UNKNOWN_REMEDIATION, type Row } from "../support/check-scenario.ts";

const unknown = expect.stringContaining(UNKNOWN_REMEDIATION);
const fixEndpoint = expect.stringContaining("Telegram could not deliver updates to the bot's webhook");
const allowBusiness = expect.stringContaining("The webhook's allowed_updates list leaves out Secretary Mode updates");
const nowSeconds = () => Math.floor(Date.now() / 1000);

const ROWS: Row[] = [
  {
    when: "a webhook is set, delivers, and nothing is pending",
    given: {},
    then: { status: "ok", message: "0 updates pending", remediation: undefined },
  },
  {
    when: "no webhook is set and the bot is configured for webhook mode",
    given: { bot: { webhook: { url: "" } } },
    then: {
      status: "fail",
      message: "no webhook is set (the bot is configured for webhook mode)",
      remediation: expect.stringContaining("The bot is set up for a webhook but none is set"),
      impact: "degraded",
    },
  },
  {
    when: "a webhook is set and the bot is configured for polling",
    given: { checks: { webhook: { mode: "polling" } } },
    then: {
      status: "fail",
      message: "a webhook is set although the bot is configured for polling",
      remediation: expect.stringContaining("its getUpdates calls fail with 409 Conflict"),
      impact: "degraded",
    },
  },
  {
    when: "the bot polls and is configured for polling",
    given: { bot: { webhook: { url: "" } }, checks: { webhook: { mode: "polling" } } },
    then: { status: "ok", message: "0 updates pending" },
  },
  {
    when: "the bot polls and either mode is allowed",
    given: { bot: { webhook: { url: "" } }, checks: { webhook: { mode: "any" } } },
    then: { status: "ok", message: "0 updates pending" },
  },
  {
    when: "a delivery failed inside the error window",
    given: { bot: { webhook: { lastErrorSecondsAgo: 30, lastErrorMessage: "Connection refused" } } },
    then: { status: "fail", message: "webhook delivery failed within the last 10m: Connection refused", remediation: fixEndpoint, impact: "degraded" },
  },
  {
    when: "the last delivery error is older than the error window",
    given: { bot: { webhook: { lastErrorSecondsAgo: 1200, lastErrorMessage: "Connection refused" } }, checks: { webhook: { errorWindow: "10m" } } },
    then: { status: "ok", message: "0 updates pending" },
  },
  {
    when: "a delivery failed and Telegram gives no error message",
    given: { faults: [jsonAnswer("getWebhookInfo", { ok: true, result: { url: "https://bots.example.com/anna", pending_update_count: 0, last_error_date: nowSeconds() - 5 } })] },
    then: { status: "fail", message: expect.stringMatching(/^webhook delivery failed within the last \S+: no message$/), remediation: fixEndpoint },
  },
  {
    when: "allowed_updates leaves out the Secretary updates",
    given: { bot: { webhook: { allowedUpdates: ["message", "callback_query"] } } },
    then: { status: "fail", message: "allowed_updates lacks business_connection, business_message", remediation: allowBusiness, impact: "degraded" },
  },
  {
    when: "allowed_updates leaves out business_message only",
    given: { bot: { webhook: { allowedUpdates: ["message", "business_connection"] } } },
    then: { status: "fail", message: "allowed_updates lacks business_message", remediation: allowBusiness },
  },
  {
    when: "allowed_updates includes the Secretary updates",
    given: { bot: { webhook: { allowedUpdates: ["message", "business_connection", "business_message"] } } },
    then: { status: "ok", message: "0 updates pending" },
  },
  {
    when: "more updates are pending than maxPendingUpdates",
    given: { bot: { webhook: { pendingUpdateCount: 150 } } },
    then: {
      status: "warn",
      message: "150 updates pending (more than 100)",
      remediation: expect.stringContaining("Updates are piling up at Telegram"),
    },
  },
  {
    when: "exactly maxPendingUpdates updates are pending",
    given: { bot: { webhook: { pendingUpdateCount: 20 } }, checks: { webhook: { maxPendingUpdates: 20 } } },
    then: { status: "ok", message: "20 updates pending" },
  },
  {
    when: "updates are pending at the first sweep of a polling bot (no stall seen yet)",
    given: { bot: { webhook: { url: "", pendingUpdateCount: 7 } }, checks: { webhook: { mode: "polling" } } },
    then: { status: "ok", message: "7 updates pending", remediation: undefined },
  },
  {
    when: "the Bot API answers getWebhookInfo with 500",
    given: { faults: [{ methods: ["getWebhookInfo"], status: 500 }] },
    then: { status: "unknown", message: "getWebhookInfo: Internal Server Error", remediation: unknown },
  },
  {
    when: 'pending_update_count is "3" (the answer is not the Bot API\'s)',
    given: { faults: [{ methods: ["getWebhookInfo"], patchResult: { pending_update_count: "3" } }] },
    then: { status: "unknown", message: "getWebhookInfo: result.pending_update_count is a string, expected a number", remediation: unknown },
  },
  {
    when: "the token is revoked",
    given: { bot: { revoked: true } },
    then: { status: "skipped", message: "skipped: token did not pass", remediation: undefined },
  },
];

describe("the webhook check against a sandbox world", () => {
  for (const row of ROWS) it(`when ${row.when}, then webhook is ${row.then.status}`, () => expectRow("webhook", row));
});
