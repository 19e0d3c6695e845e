/**
 * The owner channel end to end (issue 16, point 3): the service sweeps a sandbox fleet over loopback in
 * which some bots are broken in ways only their profile owner can fix and others in ways the owner
 * cannot; the sandbox records every message each bot sends.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseHtml } from "../../src/sandbox/telegram-html.ts";
import { parseWorld, type SentMessage } from "../../src/sandbox/world.ts";
import { botToken, botUsername, control, fleetBots, healthyWorldSpec, PROBE } from "../support/healthy-fleet.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";

const ALERT_BOT = { token: "7999999:alerts-bot-Zx8", username: "ops_alerts_bot", firstName: "Ops alerts", webhook: { url: "" }, connections: [] };
const OPS_CHAT = -1001234567890;
const N = 6;
/** Bot i's profile owner: the user its connection belongs to, whose chat with the bot is user_chat_id. */
const ownerOf = (i: number) => 200000000 + i;
const connection = (i: number) => `/bots/${botUsername(i)}/connections/bc-${i}`;

/** What breaks each bot, and what mends it: the first three are the owner's to fix, the others not. */
const BREAKS = [
  { owners: true, path: connection(0), broken: { rights: { can_transfer_stars: false } }, mended: { rights: { can_transfer_stars: true } } },
  { owners: true, path: connection(1), broken: { isEnabled: false }, mended: { isEnabled: true } },
  { owners: true, path: connection(2), broken: { excludedChats: [PROBE] }, mended: { excludedChats: [] } },
  { owners: false, path: `/bots/${botUsername(3)}`, broken: { webhook: { lastErrorSecondsAgo: 5, lastErrorMessage: "Wrong response from the webhook: 502 Bad Gateway" } }, mended: null },
  { owners: false, path: `/bots/${botUsername(4)}`, broken: { revoked: true }, mended: null },
  { owners: false, path: `/bots/${botUsername(5)}`, broken: { canConnectToBusiness: false }, mended: null },
] as const;

describe("the owner channel end to end", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("when bots break, then each owner-fixable problem reaches its owner's chat once through the bot's own token, nothing else does, and a note follows the fix", async () => {
    const spec = healthyWorldSpec(N) as { bots: unknown[] };
    const sandbox: Sandbox = await startSandbox({ world: parseWorld({ ...spec, bots: [...spec.bots, ALERT_BOT] }) });
    cleanup.push(() => sandbox.close());
    const config = {
      telegram: { apiRoot: sandbox.url, timeout: "2s" },
      schedule: { interval: "1s", concurrency: 8 },
      alerts: {
        failAfter: 1,
        recoverAfter: 1,
        repeatInterval: "1h",
        channels: {
          "ops-telegram": { type: "telegram", botToken: ALERT_BOT.token, chatId: OPS_CHAT },
          creators: { type: "owner" },
        },
      },
      bots: fleetBots(N),
    };
    const { service } = await startTestService(config);
    cleanup.push(() => service.stop());
    await until("a healthy fleet", () => ([...service.monitor.statuses()].filter((s) => s.health === "healthy").length === N ? true : undefined), 15_000);

    for (const b of BREAKS) await control(sandbox.url, "PATCH", b.path, b.broken);
    const toOwners = async () => ((await control(sandbox.url, "GET", "/messages")) as SentMessage[]).filter((m) => m.chatId !== OPS_CHAT);
    await until("three owner messages", async () => ((await toOwners()).length >= 3 ? true : undefined), 15_000);
    await until("every bot's alert", async () => (service.alerts.firing().degraded + service.alerts.firing().down === N ? true : undefined), 15_000);
    await sleep(3000); // three more sweeps of every bot: no owner hears twice, and no other bot writes

    const told = await toOwners();
    expect(told.map((m) => [m.bot, m.chatId]).sort()).toEqual([0, 1, 2].map((i) => [botUsername(i), ownerOf(i)]));
    const words = Object.fromEntries(told.map((m) => [m.bot, m.renderedText]));
    expect(words[botUsername(0)]).toContain(`Open Telegram → Settings → Telegram Business → Chatbots → @${botUsername(0)} and turn on Manage Gifts and Stars.`);
    expect(words[botUsername(1)]).toContain(`Open Telegram → Settings → Telegram Business → Chatbots and add @${botUsername(1)} again as your chatbot.`);
    expect(words[botUsername(2)]).toContain("change which chats it can access");

    for (const b of BREAKS) if (b.mended) await control(sandbox.url, "PATCH", b.path, b.mended);
    await until("three notes that it is fixed", async () => ((await toOwners()).length >= 6 ? true : undefined), 15_000);
    await sleep(2000);
    const all = await toOwners();
    expect(all).toHaveLength(6);
    expect(all.slice(3).map((m) => [m.bot, m.chatId, m.renderedText.startsWith("✅ ")]).sort()).toEqual([0, 1, 2].map((i) => [botUsername(i), ownerOf(i), true]));

    // Every message the owners got parses as Telegram's HTML and holds no token, no check id, no other bot.
    const tokens = [...Array.from({ length: N }, (_, i) => botToken(i)), ALERT_BOT.token];
    for (const m of all) {
      expect(m).toMatchObject({ parseMode: "HTML", businessConnectionId: null });
      expect(parseHtml(m.text)).not.toHaveProperty("error");
      for (const token of tokens) expect(m.text).not.toContain(token.split(":")[1]);
      expect(m.renderedText).not.toMatch(/\b(rights|scope|connection|webhook|token|business-mode|can_[a-z_]+)\b/);
      expect(m.renderedText.match(/@[a-z0-9_]+_bot/g)?.every((name) => name === `@${m.bot}`)).toBe(true);
    }
    // The operators heard of every bot, through their own channel only.
    const ops = ((await control(sandbox.url, "GET", "/messages")) as SentMessage[]).filter((m) => m.chatId === OPS_CHAT);
    expect(new Set(ops.map((m) => m.bot))).toEqual(new Set([ALERT_BOT.username]));
    expect(ops.filter((m) => m.text.includes("FIRING")).length).toBeGreaterThanOrEqual(N);
  }, 90_000);
});
