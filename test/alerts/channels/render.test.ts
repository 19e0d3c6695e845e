/** Shared wording, HTML escaping and safe cutting; the channel registry. */
import { afterEach, describe, expect, it } from "vitest";
import { CHANNELS, createChannels } from "../../../src/alerts/channels/index.ts";
import { kindTitle, renderHtml, renderText, subjectLine, truncateHtml } from "../../../src/alerts/channels/render.ts";
import type { AlertMessage, Channel } from "../../../src/alerts/types.ts";
import { configSchema } from "../../../src/config/schema.ts";
import { parseHtml } from "../../../src/sandbox/telegram-html.ts";
import { alertMessage } from "../../support/alert-fixtures.ts";

const message = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({ at: "2026-03-01T10:25:00Z", activeUntil: "2026-03-01T18:25:00Z", url: "https://watch.example.com/bots/anna", ...overrides });

describe("render", () => {
  it("when each kind is rendered, then the title says FIRING, ESCALATED to down, REMINDER, RESOLVED or TEST", () => {
    expect(kindTitle(message())).toBe("FIRING");
    expect(kindTitle(message({ escalatedFrom: "degraded" }))).toBe("ESCALATED to down");
    expect(kindTitle(message({ kind: "reminder" }))).toBe("REMINDER");
    expect(kindTitle(message({ kind: "resolved" }))).toBe("RESOLVED");
    expect(kindTitle(message({ kind: "test" }))).toBe("TEST");
    expect(subjectLine(message({ kind: "reminder" }))).toBe("[REMINDER] anna (@anna_secretary_bot) is down");
  });

  it("when a firing alert is rendered as text, then it has bot, health, since, every check with its fix and the link", () => {
    expect(renderText(message())).toBe(
      [
        "🔴 FIRING: anna (@anna_secretary_bot) is down",
        "Bot: anna (@anna_secretary_bot)",
        "Health: down",
        "Since: 2026-03-01 10:00 UTC (for 25m)",
        "",
        "Failing checks (1):",
        "• token (fail): getMe: 401 Unauthorized",
        "   Fix: Issue a new token with @BotFather.",
        "",
        "Status page: https://watch.example.com/bots/anna",
      ].join("\n"),
    );
  });

  it("when a resolved alert is rendered, then it says when it resolved and how long it lasted", () => {
    const text = renderText(message({ kind: "resolved", health: "healthy", endsAt: "2026-03-01T11:05:00Z", checks: [], url: undefined }));
    expect(text).toContain("✅ RESOLVED");
    expect(text).toContain("Health: healthy (was down)");
    expect(text).toContain("Resolved: 2026-03-01 11:05 UTC (after 1h 5m)");
    expect(text).toContain("All checks pass.");
    expect(text).not.toContain("Status page");
  });

  it("when values contain markup, then the HTML escapes every one of them and stays valid Telegram HTML", () => {
    const html = renderHtml(
      message({
        bot: { name: "<i>x", username: "y&z", labels: {} },
        summary: "</b> & <a>",
        checks: [{ check: "<c>", status: "fail", message: "a<b", remediation: "c>d & e", since: "2026-03-01T10:00:00Z" }],
        url: 'https://e.com/?a="b"&c',
      }),
    );
    expect(html).not.toMatch(/<(?!\/?(b|i|a)[ >])/);
    expect(html).toContain("&lt;/b&gt; &amp; &lt;a&gt;");
    expect(html).toContain('href="https://e.com/?a=&quot;b&quot;&amp;c"');
    expect(parseHtml(html)).not.toHaveProperty("error");
  });

  it("when HTML is short enough, then truncateHtml leaves it alone", () => {
    expect(truncateHtml("<b>a</b>", 100)).toBe("<b>a</b>");
  });

  it("when the cut falls inside a tag or an entity, then it moves before it and closes open tags", () => {
    const html = `<b>${"&amp;".repeat(50)}</b>`;
    const cut = truncateHtml(html, 40, "…");
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/^<b>(&amp;)+<\/b>…$/);
    expect(parseHtml(cut)).not.toHaveProperty("error");
  });

  it("when the cut falls inside a surrogate pair, then the pair stays whole", () => {
    const cut = truncateHtml("😀".repeat(10), 6, "");
    expect(cut).toBe("😀😀😀");
  });
});

describe("channel registry", () => {
  const channels: Channel[] = [];
  afterEach(async () => {
    await Promise.all(channels.splice(0).map((c) => c.close?.()));
  });

  it("when the config has one channel of each type, then createChannels builds them in order with their names", () => {
    const config = configSchema.parse({
      alerts: {
        channels: {
          "ops-telegram": { type: "telegram", botToken: "7000099:demo-alerts-Kd7q2", chatId: -100123 },
          "ops-mail": { type: "email", url: "smtp://u:secretpw@127.0.0.1:2525", from: "w@example.com", to: ["o@example.com"] },
          am: { type: "alertmanager", url: "http://127.0.0.1:9093", minHealth: "down" },
          hook: { type: "webhook", url: "http://127.0.0.1:9/hook" },
        },
      },
    });
    channels.push(
      ...createChannels(config.alerts.channels, { telegramApiRoot: "http://127.0.0.1:9", telegramEnvironment: "prod", timeoutMs: 1_000 }),
    );
    expect(channels.map((c) => [c.name, c.type])).toEqual([
      ["ops-telegram", "telegram"],
      ["ops-mail", "email"],
      ["am", "alertmanager"],
      ["hook", "webhook"],
    ]);
    expect(channels[2]!.accepts(message({ severity: "degraded" }))).toBe(false);
    expect(channels[3]!.accepts(message({ severity: "degraded" }))).toBe(true);
    expect(CHANNELS.map((c) => c.type).sort()).toEqual(["alertmanager", "discord", "email", "msteams", "ntfy", "owner", "pagerduty", "slack", "telegram", "webhook"]);
  });
});
