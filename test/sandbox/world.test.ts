/** World file validation, and the demo world: every demo bot exists with its intended breakage. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile, parseWorld } from "../../src/sandbox/world.ts";

const bot = { token: "7000001:abc", username: "a_bot", firstName: "A" };

describe("parseWorld", () => {
  it("when a minimal world is given, then defaults fill it in", () => {
    const w = parseWorld({ bots: [bot] });
    expect(w.latencyMs).toBe(0);
    expect(w.bots[0]).toMatchObject({ environment: "prod", revoked: false, canConnectToBusiness: true, connections: [] });
    expect(w.bots[0]!.webhook).toMatchObject({ url: "", pendingUpdateCount: 0, lastErrorDate: null });
  });
  it.each([
    [{ bots: [{ ...bot, token: "7000001 abc" }] }, "bots[0].token: must look like"],
    [{ bots: [{ ...bot, id: 42 }] }, "bots[0].id: must equal the token's numeric prefix"],
    [{ bots: [{ ...bot, token: `123456789:AA${"x".repeat(33)}` }] }, "bots[0].token: has the shape of a real BotFather token"],
    [{ bots: [{ ...bot, environment: "staging" }] }, "bots[0].environment: "],
    [{ bots: [{ ...bot, webhook: { url: "http://insecure" } }] }, 'bots[0].webhook.url: must be "" (polling) or an https:// URL'],
    [{ bots: [{ ...bot, webhook: { lastErrorSecondsAgo: 5 } }] }, "bots[0].webhook.lastErrorMessage: required when a last error is set"],
    [{ bots: [{ ...bot, connections: [{ id: "c", userId: 1, rights: { can_fly: true } }] }] }, "bots[0].connections[0].rights.can_fly: unknown key"],
    [{ bots: [bot, { ...bot, token: "7000002:def" }] }, "bots[1].username: duplicate username"],
    [{ bots: [bot], faults: [{ bot: "a_bot" }] }, "faults[0]: a fault needs one of status, latencyMs, hang, reset"],
    [{ bots: [bot], extra: 1 }, "extra: unknown key"],
  ])("when the world is %j, then the error names the key path", (input, message) => {
    expect(() => parseWorld(input)).toThrow(message);
  });
  it("when two bots share a connection id, then the second is named", () => {
    const conn = { id: "bc", userId: 1 };
    const input = { bots: [{ ...bot, connections: [conn] }, { ...bot, token: "7000002:x", username: "b_bot", connections: [conn] }] };
    expect(() => parseWorld(input)).toThrow("bots[1].connections[0].id: duplicate connection id");
  });
});

describe("loadWorldFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-world-"));
  it("when the YAML is invalid, then the error names the file", () => {
    const path = join(dir, "bad.yaml");
    writeFileSync(path, "bots: [\n");
    expect(() => loadWorldFile(path)).toThrow(`${path}: invalid YAML`);
  });
  it("when the file has a bad key, then the error names file and key path", () => {
    const path = join(dir, "bad-key.yaml");
    writeFileSync(path, "bots:\n  - { token: '1:a', username: x_bot, firstName: X, revokd: true }\n");
    expect(() => loadWorldFile(path)).toThrow(`${path}: bots[0].revokd: unknown key`);
  });
});

// ---------- the demo world ----------

const DEMO_WORLD = fileURLToPath(new URL("../../config/demo-world.yaml", import.meta.url));
const DEMO_CONFIG = fileURLToPath(new URL("../../config/demo.yaml", import.meta.url));
type DemoBot = { name: string; token: string; username: string; owner: { id: number }; businessConnectionId?: string; probeChats: number[] };
const demoConfig = parseYaml(readFileSync(DEMO_CONFIG, "utf8")) as { bots: DemoBot[]; alerts: { channels: Record<string, { botToken: string }> } };
const demo = (name: string): DemoBot => {
  const b = demoConfig.bots.find((x) => x.name === name);
  if (!b) throw new Error(`demo.yaml has no bot ${name}`);
  return b;
};

describe("the demo world", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  async function tg(name: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: any; text: string }> {
    const res = await fetch(`${sandbox.url}/bot${demo(name).token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text };
  }
  const connection = (name: string) => tg(name, "getBusinessConnection", { business_connection_id: demo(name).businessConnectionId });
  const probe = (name: string) =>
    tg(name, "sendChatAction", { chat_id: 555000111, action: "typing", business_connection_id: demo(name).businessConnectionId });

  it("when the demo config is read, then every demo bot is there with a [a-z0-9_-] name and probes the test account", () => {
    const names = demoConfig.bots.map((b) => b.name);
    expect(names).toEqual([
      "anna", "revoked", "malformed", "impostor", "business-off", "no-connection", "connection-gone", "disabled",
      "wrong-owner", "no-reply", "no-stars", "out-of-scope", "no-inbound", "webhook-error", "old-webhook-error",
      "filtered-updates", "backlog", "rate-limited", "flaky", "silent",
    ]);
    for (const b of demoConfig.bots) {
      expect(b.name).toMatch(/^[a-z0-9_-]+$/);
      expect(b.probeChats).toEqual([555000111]);
    }
    expect(new Set(demoConfig.bots.map((b) => b.owner.id)).size).toBe(demoConfig.bots.length);
  });

  it("when anna is checked, then everything a monitor calls is healthy", async () => {
    const me = await tg("anna", "getMe");
    expect(me.body.result).toMatchObject({ username: demo("anna").username, can_connect_to_business: true });
    const bc = await connection("anna");
    expect(bc.body.result).toMatchObject({ is_enabled: true, user: { id: demo("anna").owner.id } });
    expect(Object.keys(bc.body.result.rights)).toEqual(
      expect.arrayContaining(["can_reply", "can_read_messages", "can_delete_sent_messages", "can_view_gifts_and_stars", "can_convert_gifts_to_stars", "can_transfer_and_upgrade_gifts", "can_transfer_stars"]),
    );
    expect((await probe("anna")).body).toEqual({ ok: true, result: true });
    expect((await tg("anna", "getBusinessAccountStarBalance", { business_connection_id: "bc-anna" })).status).toBe(200);
    const hook = (await tg("anna", "getWebhookInfo")).body.result;
    expect(hook.url).not.toBe("");
    expect(hook).not.toHaveProperty("last_error_date");
    expect(hook).not.toHaveProperty("allowed_updates");
  });

  it("when silent is checked, then every API check passes, but its backend never answers while anna's does", async () => {
    expect((await tg("silent", "getMe")).body.result).toMatchObject({ username: demo("silent").username, can_connect_to_business: true });
    const bc = (await connection("silent")).body.result;
    expect(bc).toMatchObject({ is_enabled: true, user: { id: demo("silent").owner.id }, rights: { can_reply: true, can_transfer_stars: true } });
    expect((await probe("silent")).body).toEqual({ ok: true, result: true });
    expect((await tg("silent", "getBusinessAccountStarBalance", { business_connection_id: "bc-silent" })).status).toBe(200);
    const hook = (await tg("silent", "getWebhookInfo")).body.result;
    expect(hook.url).not.toBe("");
    expect(hook).not.toHaveProperty("last_error_date");

    const world = sandbox.world;
    world.sendAccountMessage(555000111, demo("silent").owner.id, "round-trip nonce-s");
    world.sendAccountMessage(555000111, demo("anna").owner.id, "round-trip nonce-a");
    const updates = await world.pollAccount(555000111, { timeoutMs: 3_000 });
    expect(updates.map((u) => u.message.from)).toEqual([demo("anna").owner.id]);
    // Long past anna's answer (300 ms), silent's owner still has not answered.
    await new Promise((r) => setTimeout(r, 400));
    expect(world.accountChat(555000111, demo("silent").owner.id).map((m) => m.from)).toEqual([555000111]);
    expect(world.secretaryFor(demo("silent").owner.id, 555000111)).toEqual({ silent: "bot silent_secretary_bot: backend never replies" });
  });

  it("when revoked and malformed are called, then 401 and 404", async () => {
    expect((await tg("revoked", "getMe")).status).toBe(401);
    expect((await tg("malformed", "getMe")).status).toBe(404);
  });

  it("when impostor's token is used, then getMe names another bot", async () => {
    const me = await tg("impostor", "getMe");
    expect(me.status).toBe(200);
    expect(me.body.result.username.toLowerCase()).not.toBe(demo("impostor").username.toLowerCase());
  });

  it("when business-off is asked, then can_connect_to_business is false", async () => {
    expect((await tg("business-off", "getMe")).body.result.can_connect_to_business).toBe(false);
  });

  it("when the connection bots are checked, then each shows its own breakage", async () => {
    expect(demo("no-connection").businessConnectionId).toBeUndefined();
    expect((await connection("connection-gone")).body.description).toBe("Bad Request: business connection not found");
    expect((await connection("disabled")).body.result).toMatchObject({ is_enabled: false });
    expect((await connection("wrong-owner")).body.result.user.id).not.toBe(demo("wrong-owner").owner.id);
    expect((await connection("no-reply")).body.result.rights).not.toHaveProperty("can_reply");
    expect((await probe("no-reply")).body.description).toBe("Bad Request: BOT_ACCESS_FORBIDDEN");
    const noStars = (await connection("no-stars")).body.result.rights;
    for (const r of ["can_view_gifts_and_stars", "can_convert_gifts_to_stars", "can_transfer_and_upgrade_gifts", "can_transfer_stars"]) {
      expect(noStars).not.toHaveProperty(r);
    }
    expect(noStars).toHaveProperty("can_reply", true);
    expect((await tg("no-stars", "getBusinessAccountStarBalance", { business_connection_id: "bc-no-stars" })).body.description).toBe(
      "Bad Request: BOT_ACCESS_FORBIDDEN",
    );
    expect((await probe("out-of-scope")).body.description).toBe("Bad Request: BUSINESS_PEER_INVALID");
    expect((await probe("no-inbound")).body.description).toBe("Bad Request: BUSINESS_PEER_USAGE_MISSING");
  });

  it("when the webhook bots are checked, then recent error, old error, filter and backlog show", async () => {
    const now = Math.floor(Date.now() / 1000);
    const recent = (await tg("webhook-error", "getWebhookInfo")).body.result;
    expect(recent.last_error_message).toBe("Wrong response from the webhook: 502 Bad Gateway");
    expect(now - recent.last_error_date).toBeLessThanOrEqual(61);
    const old = (await tg("old-webhook-error", "getWebhookInfo")).body.result;
    expect(now - old.last_error_date).toBeGreaterThanOrEqual(86399);
    expect((await tg("filtered-updates", "getWebhookInfo")).body.result.allowed_updates).toEqual(["message", "callback_query"]);
    expect((await tg("backlog", "getWebhookInfo")).body.result.pending_update_count).toBe(2500);
  });

  it("when rate-limited and flaky are called, then a permanent 429 and a 502 on getWebhookInfo only", async () => {
    for (const method of ["getMe", "getWebhookInfo"]) {
      const r = await tg("rate-limited", method);
      expect(r.status).toBe(429);
      expect(r.body.parameters).toEqual({ retry_after: 30 });
    }
    expect((await tg("flaky", "getMe")).status).toBe(200);
    const flaky = await tg("flaky", "getWebhookInfo");
    expect(flaky.status).toBe(502);
    expect(flaky.text).toContain("502 Bad Gateway");
  });

  it("when the demo alert channel's bot sends, then the sandbox records the alert", async () => {
    const token = demoConfig.alerts.channels["ops-telegram"]!.botToken;
    const res = await fetch(`${sandbox.url}/bot${token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: -1001234567890, text: "<b>revoked</b> is down", parse_mode: "HTML" }),
    });
    expect(res.status).toBe(200);
    expect(sandbox.world.messages().map((m) => m.renderedText)).toContain("revoked is down");
  });
});
