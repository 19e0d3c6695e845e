/** The owner channel against the sandbox Bot API over loopback: the bot writes to its owner's chat. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CHANNELS, createChannels } from "../../../src/alerts/channels/index.ts";
import type { WatchedBot } from "../../../src/alerts/channels/define-channel.ts";
import { ChannelError, type AlertMessage, type Channel } from "../../../src/alerts/types.ts";
import { parseHtml } from "../../../src/sandbox/telegram-html.ts";
import { startSandbox, type Sandbox } from "../../../src/sandbox/server.ts";
import { parseWorld, type SentMessage } from "../../../src/sandbox/world.ts";
import { alertMessage } from "../../support/alert-fixtures.ts";
import { rejection } from "../../support/rejection.ts";

const OWNER = 123456789;
const STRANGER = 100000002;
const ANNA: WatchedBot = { name: "anna", token: "7000001:demo-anna-Xk2v9", username: "anna_secretary_bot", ownerId: OWNER, businessConnectionId: "bc-anna" };

/** Another bot, connected to the same owner: a token mix-up must not make it write as anna. */
const BORIS_TOKEN = "7000002:demo-boris-Pq3w8";

const FIX = {
  problem: "permission:gifts-and-stars",
  issue: "@anna_secretary_bot is missing the Manage Gifts and Stars permission. Paid delivery can fail even if chat works.",
  fix: "Open Telegram → Settings → Telegram Business → Chatbots → @anna_secretary_bot and turn on Manage Gifts and Stars.",
  fixed: "@anna_secretary_bot has the Manage Gifts and Stars permission again. Thank you!",
};
const toOwner = (overrides: Partial<AlertMessage> = {}): AlertMessage =>
  alertMessage({ scope: "owner", severity: "degraded", health: "degraded", summary: FIX.issue, checks: [], owner: FIX, ...overrides });

let sandbox: Sandbox;
const made: Channel[] = [];
/** The configured owner channel, finding bots in `watched`. */
function ownerChannel(watched: WatchedBot[] = [ANNA]): Channel {
  const deps = { telegramApiRoot: sandbox.url, telegramEnvironment: "prod" as const, timeoutMs: 2_000, bots: (name: string) => watched.find((b) => b.name === name) };
  const [channel] = createChannels({ creators: { type: "owner", minHealth: "degraded", bots: {} } }, deps, CHANNELS);
  made.push(channel!);
  return channel!;
}
const sent = async (): Promise<SentMessage[]> => (await fetch(`${sandbox.url}/_sandbox/messages`)).json() as Promise<SentMessage[]>;
const patchConnection = (body: unknown) =>
  fetch(`${sandbox.url}/_sandbox/bots/anna_secretary_bot/connections/bc-anna`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

beforeAll(async () => {
  sandbox = await startSandbox({
    world: parseWorld({
      users: [{ id: OWNER, firstName: "Anna" }, { id: STRANGER, firstName: "Boris" }],
      bots: [
        { token: ANNA.token, username: ANNA.username, firstName: "Anna's Secretary", connections: [{ id: "bc-anna", userId: OWNER, rights: { can_reply: true } }] },
        { token: BORIS_TOKEN, username: "boris_secretary_bot", firstName: "Boris's Secretary", connections: [{ id: "bc-anna-too", userId: OWNER, rights: { can_reply: true } }] },
      ],
    }),
  });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.world.reset());
afterEach(async () => {
  await Promise.all(made.splice(0).map((c) => c.close?.()));
});

describe("owner channel", () => {
  it("when the owner is told of a problem, then the bot itself writes to user_chat_id in HTML the sandbox parses, without its token", async () => {
    await ownerChannel().send(toOwner(), AbortSignal.timeout(5_000));
    const [msg, ...more] = await sent();
    expect(more).toEqual([]);
    expect(msg).toMatchObject({ bot: "anna_secretary_bot", chatId: OWNER, parseMode: "HTML", businessConnectionId: null });
    expect(parseHtml(msg!.text)).not.toHaveProperty("error");
    expect(msg!.renderedText).toBe(`⚠️ ${FIX.issue}\n\n${FIX.fix}`);
    expect(msg!.text).not.toContain("7000001:");
    expect(msg!.text).not.toMatch(/rights|check|can_/);
  });

  it("when the reminder and the note that it is fixed go out, then each says so in the owner's words", async () => {
    const channel = ownerChannel();
    await channel.send(toOwner({ kind: "reminder" }), AbortSignal.timeout(5_000));
    await channel.send(toOwner({ kind: "resolved", health: "healthy" }), AbortSignal.timeout(5_000));
    expect((await sent()).map((m) => m.renderedText)).toEqual([`⏰ Still to fix: ${FIX.issue}\n\n${FIX.fix}`, `✅ ${FIX.fixed}`]);
  });

  it("when the words hold <, > and &, then they arrive as written", async () => {
    const owner = { ...FIX, issue: "a < b && c > d", fix: "<b>not a tag</b> & more" };
    await ownerChannel().send(toOwner({ owner }), AbortSignal.timeout(5_000));
    const [msg] = await sent();
    expect(msg!.renderedText).toBe("⚠️ a < b && c > d\n\n<b>not a tag</b> & more");
  });

  it("when the owner removed the bot from the profile's chatbots (connection disabled), then the bot still writes to that chat", async () => {
    expect((await patchConnection({ isEnabled: false })).status).toBe(200);
    await ownerChannel().send(toOwner(), AbortSignal.timeout(5_000));
    expect((await sent()).map((m) => m.chatId)).toEqual([OWNER]);
  });

  it("when the connection belongs to another profile than owner.id, then nothing is written there and the refusal is final", async () => {
    expect((await patchConnection({ userId: STRANGER })).status).toBe(200);
    const err = await rejection(ownerChannel().send(toOwner(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err).toMatchObject({ permanent: true, message: 'owner channel "creators": bot anna is attached to another profile than owner.id: not writing to it' });
    expect(await sent()).toEqual([]);
  });

  it("when the configured token is another bot's (connected to the same owner), then nothing is written as that bot and the refusal is final", async () => {
    const err = await rejection(ownerChannel([{ ...ANNA, token: BORIS_TOKEN, businessConnectionId: "bc-anna-too" }]).send(toOwner(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err).toMatchObject({ permanent: true, message: 'owner channel "creators": bot anna\'s token is not @anna_secretary_bot\'s: not writing as another bot' });
    expect(await sent()).toEqual([]);
  });

  it("when Telegram does not know the connection, then the refusal is final and names the call", async () => {
    const err = await rejection(ownerChannel([{ ...ANNA, businessConnectionId: "bc-gone" }]).send(toOwner(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('owner channel "creators": getBusinessConnection: 400 Bad Request: business connection not found');
  });

  it("when the bot is no longer watched, then the message is dropped for good", async () => {
    const err = await rejection(ownerChannel([]).send(toOwner(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err).toMatchObject({ permanent: true, message: 'owner channel "creators": bot anna is no longer watched' });
  });

  it("when Telegram answers 500, then the delivery is retried (not final)", async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ methods: ["sendMessage"], status: 500 }) });
    const err = await rejection(ownerChannel().send(toOwner(), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).not.toContain(ANNA.token);
  });

  it("when routing, then the owner channel takes only owner messages, and an operators' channel none of them", () => {
    const owner = ownerChannel();
    const [ops] = createChannels({ hook: { type: "webhook", url: "http://127.0.0.1:9/hook", minHealth: "degraded", bots: {} } }, { telegramApiRoot: sandbox.url, telegramEnvironment: "prod", timeoutMs: 1000 }, CHANNELS);
    made.push(ops!);
    expect([owner.accepts(toOwner()), owner.accepts(alertMessage()), owner.accepts(alertMessage({ kind: "test", scope: "monitor" }))]).toEqual([true, false, false]);
    expect([ops!.accepts(toOwner()), ops!.accepts(alertMessage())]).toEqual([false, true]);
  });

  it("when `alerts test` sends it a test notification, then it says it has none to send", async () => {
    const err = await rejection(ownerChannel().send(alertMessage({ kind: "test", scope: "monitor" }), AbortSignal.timeout(5_000)), ChannelError);
    expect(err.message).toBe('owner channel "creators": it writes only to a bot\'s profile owner, about what they must fix; it has no test message to send');
    expect(await sent()).toEqual([]);
  });
});
