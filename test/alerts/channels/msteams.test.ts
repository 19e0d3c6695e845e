/**
 * The msteams channel against a local receiver that checks every body against the message with an
 * Adaptive Card attachment that Teams documents for webhooks (test/support/vendor-shapes-chat.ts cites the pages).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMsteamsChannel } from "../../../src/alerts/channels/msteams.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { redactSecrets } from "../../../src/redact.ts";
import { alertCheck, alertMessage } from "../../support/alert-fixtures.ts";
import { describeOutboxDelivery } from "../../support/chat-outbox.ts";
import { closeHttpReceivers, httpReceiver } from "../../support/http-receiver.ts";
import { rejection } from "../../support/rejection.ts";
import { bodyAs, TEAMS_MESSAGE_LIMIT_BYTES, teamsWebhookMessage } from "../../support/vendor-shapes-chat.ts";

const SIG = "Tm5teamsSignature_0123456789abcdef";
const PATH = `/workflows/8d2f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
const PAGE = "https://watch.example.com/#bot-anna";

afterEach(closeHttpReceivers);

function channel(base: string): Channel {
  return createMsteamsChannel("ops-teams", { type: "msteams", url: `${base}${PATH}`, minHealth: "degraded", bots: {} }, { timeoutMs: 2_000 });
}

/** Sends `m` to a receiver (answering 202, as Workflows does) and returns the card, the body checked against Teams' shape. */
async function delivered(m: AlertMessage) {
  const hook = await httpReceiver({ status: 202 });
  await channel(hook.url).send(m, AbortSignal.timeout(5_000));
  expect(hook.requests).toHaveLength(1);
  expect(hook.requests[0]!.path).toBe(PATH);
  expect(hook.requests[0]!.body.length).toBeLessThanOrEqual(TEAMS_MESSAGE_LIMIT_BYTES);
  const body = bodyAs(teamsWebhookMessage, hook.requests[0]!.body);
  expect(body.attachments).toHaveLength(1);
  return { card: body.attachments[0]!.content, bytes: hook.requests[0]!.body.length };
}

type Card = Awaited<ReturnType<typeof delivered>>["card"];
/** The card's body as lines: a TextBlock's text, a fact as `title: value`. */
const lines = (card: Card) =>
  (card.body ?? []).flatMap((e) => (e.type === "TextBlock" ? [e.text] : e.type === "FactSet" ? e.facts.map((f) => `${f.title}: ${f.value}`) : []));
const title = (card: Card) => card.body?.[0];

describe("msteams channel", () => {
  it("when a bot's alert fires, then an Adaptive Card: a red title, the facts, a FactSet per check with its fix, and a button to the page", async () => {
    const { card } = await delivered(
      alertMessage({
        url: PAGE,
        checks: [alertCheck(), alertCheck({ check: "rights", status: "warn", message: "missing can_reply", remediation: "Allow Reply to messages." })],
      }),
    );
    expect(card.version).toBe("1.4");
    expect(title(card)).toMatchObject({ type: "TextBlock", text: "🔴 FIRING: anna (@anna_secretary_bot) is down", color: "Attention", weight: "Bolder" });
    expect(lines(card)).toEqual([
      "🔴 FIRING: anna (@anna_secretary_bot) is down",
      "Bot: anna (@anna_secretary_bot)",
      "Health: down",
      "Since: 2026-03-01 10:00 UTC (for 2m)",
      "Failing checks (2)",
      "token (fail): getMe: 401 Unauthorized",
      "Fix: Issue a new token with @BotFather.",
      "rights (warn): missing can_reply",
      "Fix: Allow Reply to messages.",
    ]);
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "Open the status page", url: PAGE }]);
  });

  it("when the service has no public URL, then the card has no action", async () => {
    const { card } = await delivered(alertMessage());
    expect(card.actions).toBeUndefined();
  });

  it.each([
    ["degraded", { severity: "degraded" as const, health: "degraded" as const }, "Warning", "🟠 FIRING", "Health: degraded"],
    ["an escalation", { escalatedFrom: "degraded" as const }, "Attention", "🔴 ESCALATED to down", "Health: down (escalated from degraded)"],
    ["a reminder", { kind: "reminder" as const }, "Attention", "🔴 REMINDER", "Failing checks (1)"],
    ["a resolution", { kind: "resolved" as const, health: "healthy" as const, checks: [], endsAt: "2026-03-01T10:30:00Z" }, "Good", "✅ RESOLVED", "Resolved: 2026-03-01 10:30 UTC (after 30m)"],
    [
      "the monitor's alert",
      { key: "monitor", scope: "monitor" as const, bot: undefined, health: "unknown" as const, checks: [alertCheck({ check: "telegram", status: "unknown" })] },
      "Accent",
      "📡 FIRING",
      "Checks without an answer (1)",
    ],
    ["a test", { key: "test", kind: "test" as const, scope: "monitor" as const, bot: undefined, health: "healthy" as const, checks: [] }, "Default", "🧪 TEST", "A test notification from secretary-watch: this channel works. No action needed."],
  ])("when %s is sent, then the title's colour and the card say so", async (_what, overrides, colour, start, line) => {
    const { card } = await delivered(alertMessage({ url: PAGE, ...overrides }));
    const head = title(card);
    expect(head?.type === "TextBlock" && head.color).toBe(colour);
    expect(lines(card)[0]!.startsWith(start)).toBe(true);
    expect(lines(card)).toContain(line);
  });

  it("when the checks would take the body past 28 KB, then whole checks fill it, the card says how many were left out, and it stays under the limit", async () => {
    const checks = Array.from({ length: 80 }, (_, i) => alertCheck({ check: `check-${i}`, message: "é".repeat(600), remediation: "fix ".repeat(150) }));
    const { card, bytes } = await delivered(alertMessage({ url: PAGE, checks }));
    expect(bytes).toBeGreaterThan(20_000);
    expect(bytes).toBeLessThanOrEqual(28_000);
    const shown = lines(card).filter((l) => /^check-\d+ \(fail\): /.test(l));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(80);
    expect(shown[0]).toMatch(/^check-0 /);
    expect(lines(card).at(-1)).toBe(`… and ${80 - shown.length} more checks not shown here: see the status page.`);
    expect(card.actions).toHaveLength(1);
  });

  it("when one check's message is very long, then it is cut with a mark and the card still goes", async () => {
    const { card } = await delivered(alertMessage({ checks: [alertCheck({ message: "x".repeat(50_000) })] }));
    const fact = lines(card).find((l) => l.startsWith("token (fail): "))!;
    expect(fact.length).toBeLessThanOrEqual("token (fail): ".length + 2000);
    expect(fact.endsWith("…")).toBe(true);
  });

  it("when the workflow refuses with a body that quotes its URL, then the error is permanent and never shows the signature", async () => {
    const hook = await httpReceiver({ status: 401, body: `{"error":{"code":"DirectApiInvalidAuthorizationSignature","message":"bad sig=${SIG}"}}` });
    const err = await rejection(channel(hook.url).send(alertMessage(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('msteams channel "ops-teams": HTTP 401');
    expect(err.message).not.toContain(SIG);
    expect(redactSecrets(`${hook.url}${PATH}`)).not.toContain(SIG);
  });
});

describeOutboxDelivery("msteams", {
  channel,
  retryAfter: { header: () => new Date(Date.now() + 3_000).toUTCString(), atLeastMs: 2_000, describe: "an HTTP date 2–3 s ahead" },
});
