import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import bcrypt from "bcrypt";
import YAML from "yaml";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { cli } from "../support/cli.ts";
import { closeHttpReceivers, httpReceiver, type HttpReceiver } from "../support/http-receiver.ts";
import { startTestService, until, type LogSink } from "../support/service-harness.ts";
import { storedText } from "../support/stored-state.ts";

/** Every secret the service is given. None may appear in anything it emits. */
const SECRETS = {
  annaToken: "demo-anna-Xk2v9",
  revokedToken: "demo-revoked-Qm4t1",
  malformedToken: "malformed-token-SECRET-4471",
  apiBotToken: "demo-no-stars-Gh2b1",
  alertBotToken: "demo-alerts-Kd7q2",
  adminToken: "ADMIN-token-SECRET-8c1f2a",
  namedAdminToken: "NAMED-admin-SECRET-3f9e71",
  pagePassword: "PAGE-pass-SECRET-6a2d04",
  smtpPassword: "SMTP-pass-SECRET-5d9e",
  hookSecret: "HOOK-secret-SECRET-77aa",
  storeKey: "STORE-key-SECRET-0b3c",
  leakyHookToken: "LEAKY-hook-SECRET-a1b2c3",
  leakyNamesToken: "LEAKY-names-SECRET-d4e5f6",
  leakyErrorToken: "LEAKY-error-SECRET-g7h8i9",
};

/**
 * Bots whose Telegram answers carry their own token (issue 12, item 3): in the webhook URL and its last
 * error, in their usernames and first names, in error descriptions; plain, with the colon as %3A, and
 * with every character percent-encoded.
 */
const LEAKY = {
  hook: `7000201:${SECRETS.leakyHookToken}`,
  names: `7000202:${SECRETS.leakyNamesToken}`,
  error: `7000203:${SECRETS.leakyErrorToken}`,
};
const colonEncoded = (token: string) => token.replace(":", "%3A");
const fullyEncoded = (token: string) => [...token].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
/** Every encoded form of a leaky token that must not appear either. */
const ENCODED_FORMS = Object.fromEntries(
  Object.entries(LEAKY).flatMap(([name, token]) => [
    [`${name} token, colon as %3A`, colonEncoded(token)],
    [`${name} token, fully percent-encoded`, fullyEncoded(token)],
    [`${name} token, fully percent-encoded (lower case)`, fullyEncoded(token).toLowerCase()],
  ]),
);

/** The leaky bots in the sandbox, and the faults that put their tokens into what Telegram answers. */
function addLeakyBots(sandbox: Sandbox): void {
  const rights = { can_reply: true, can_read_messages: true, can_delete_sent_messages: true, can_view_gifts_and_stars: true, can_convert_gifts_to_stars: true, can_transfer_and_upgrade_gifts: true, can_transfer_stars: true };
  const world = sandbox.world;
  world.addBot({
    token: LEAKY.hook,
    username: "leaky_hook_bot",
    firstName: "Leaky Hook",
    webhook: {
      url: `https://hooks.example.com/bot${LEAKY.hook}/update`,
      lastErrorSecondsAgo: 5,
      lastErrorMessage: `Wrong response from the webhook: 401 at https://hooks.example.com/u?token=${colonEncoded(LEAKY.hook)}&t2=${fullyEncoded(LEAKY.hook)} for ${LEAKY.hook}`,
    },
  });
  world.addBot({
    token: LEAKY.names,
    username: "leaky_names_bot",
    firstName: "Leaky Names",
    webhook: { url: "https://bots.example.com/leaky-names" },
    connections: [{ id: "bc-leaky-names", userId: 100000012, rights, recentInbound: [555000111] }],
  });
  world.addBot({
    token: LEAKY.error,
    username: "leaky_error_bot",
    firstName: "Leaky Error",
    webhook: { url: "https://bots.example.com/leaky-error" },
    connections: [{ id: "bc-leaky-error", userId: 100000013, rights, recentInbound: [555000111] }],
  });
  // Names: getMe's own, and the profile a connection is attached to (here the wrong one, so it is shown).
  world.addFault({ bot: "leaky_names_bot", methods: ["getMe"], patchResult: { first_name: LEAKY.names, username: colonEncoded(LEAKY.names) } });
  world.addFault({
    bot: "leaky_names_bot",
    methods: ["getBusinessConnection"],
    patchResult: { user: { id: 100000099, is_bot: false, first_name: LEAKY.names, last_name: colonEncoded(LEAKY.names), username: fullyEncoded(LEAKY.names) } },
  });
  // Error descriptions, as Telegram's own refusals.
  const refusal = (status: number, description: string) => ({ status, contentType: "application/json", body: JSON.stringify({ ok: false, error_code: status, description }) });
  world.addFault({ bot: "leaky_error_bot", methods: ["sendChatAction"], answer: refusal(400, `Bad Request: token ${colonEncoded(LEAKY.error)} is not allowed here`) });
  world.addFault({ bot: "leaky_error_bot", methods: ["getBusinessAccountStarBalance"], answer: refusal(403, `Forbidden: ${fullyEncoded(LEAKY.error)} may not read the balance`) });
}

describe("secrets never leave the service", () => {
  let sandbox: Sandbox;
  let service: Service;
  let logs: LogSink;
  let dir: string;
  let hook: HttpReceiver;
  const seen: string[] = [];

  const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString("base64")}` });
  const get = async (path: string, headers: Record<string, string> = basic(SECRETS.pagePassword)) => {
    const r = await fetch(`${service.url}${path}`, { headers });
    const text = await r.text();
    seen.push(`${path} ${r.status} ${JSON.stringify([...r.headers])} ${text}`);
    return r;
  };
  const admin = async (method: string, path: string, body?: unknown, token = SECRETS.adminToken) => {
    const r = await fetch(`${service.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    seen.push(`${method} ${path} ${r.status} ${text}`);
    return { status: r.status, text };
  };

  const config = async () => ({
    telegram: { apiRoot: sandbox.url, timeout: "1s" },
    server: {
      adminToken: SECRETS.adminToken,
      adminTokens: { ci: SECRETS.namedAdminToken },
      auth: { users: { ops: bcrypt.hashSync(SECRETS.pagePassword, 4) } },
      publicUrl: "https://watch.example.com",
    },
    schedule: { interval: "1s" },
    alerts: {
      failAfter: 1,
      channels: {
        mail: { type: "email", url: `smtp://ops:${SECRETS.smtpPassword}@127.0.0.1:${await freePort()}`, from: "w@example.com", to: ["ops@example.com"] },
        hook: { type: "webhook", url: hook.url, secret: SECRETS.hookSecret },
        tg: { type: "telegram", botToken: `7000099:${SECRETS.alertBotToken}`, chatId: -100123 },
      },
    },
    bots: [
      { name: "anna", token: `7000001:${SECRETS.annaToken}`, username: "anna_secretary_bot", owner: { id: 123456789 }, businessConnectionId: "bc-anna", probeChats: [555000111] },
      { name: "revoked", token: `7000002:${SECRETS.revokedToken}`, username: "revoked_secretary_bot", owner: { id: 100000002 } },
      { name: "malformed", token: SECRETS.malformedToken, username: "malformed_secretary_bot", owner: { id: 100000003 } },
      { name: "leaky-hook", token: LEAKY.hook, username: "leaky_hook_bot", owner: { id: 100000010 } },
      { name: "leaky-names", token: LEAKY.names, username: "leaky_names_bot", owner: { id: 100000012 }, businessConnectionId: "bc-leaky-names" },
      { name: "leaky-error", token: LEAKY.error, username: "leaky_error_bot", owner: { id: 100000013 }, businessConnectionId: "bc-leaky-error", probeChats: [555000111] },
    ],
  });

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    addLeakyBots(sandbox);
    hook = await httpReceiver({ status: 200 });
    const started = await startTestService(await config(), { outbox: { baseBackoffMs: 100, maxBackoffMs: 200 } }, undefined, { secretKey: SECRETS.storeKey });
    ({ service, logs, dir } = started);
  });
  afterAll(async () => {
    await service.stop();
    await sandbox.close();
    await closeHttpReceivers();
  });

  it("when every surface is exercised, then no token (also one inside Telegram's texts, plain or percent-encoded), admin token (named or not), page password, SMTP password, webhook secret or store key appears anywhere", async () => {
    // Alerts fire for revoked, malformed and the leaky bots; the mail channel fails (nothing listens), so its errors are logged.
    await until("webhook deliveries", () => (hook.requests.length >= 2 ? true : undefined), 8000);
    const alerted = () => new Set(hook.requests.map((r) => (JSON.parse(r.body.toString()) as { key: string }).key));
    await until("alerts for the leaky bots", () => (["leaky-hook", "leaky-names", "leaky-error"].every((b) => alerted().has(b)) ? true : undefined), 8000);
    await until("failed mail attempts", () => (logs.text.includes("notification not delivered") ? true : undefined), 8000);

    // Admin API: success, refusals, validation errors that echo input, a verified registration.
    await admin("GET", "/bots");
    await admin("GET", "/bots", undefined, `wrong-${SECRETS.adminToken}`);
    await admin("POST", "/bots?verify=true", { name: "kira", token: `7000011:${SECRETS.apiBotToken}`, username: "no_stars_secretary_bot", owner: { id: 100000011 } });
    await admin("POST", "/bots", { name: "kira2", token: `7000011:${SECRETS.apiBotToken}`, username: "no_stars_secretary_bot", owner: { id: "x" } });
    // A token pasted into the wrong field, as operators do.
    await admin("POST", "/bots", { name: "kira3", token: 12345, username: `7000011:${SECRETS.apiBotToken}`, owner: { id: 1 } });
    await admin("PATCH", "/bots/kira", { token: `7000011:${SECRETS.apiBotToken}`, labels: { t: "1" } });
    await admin("GET", "/bots/kira");
    await admin("POST", "/bots/revoked/run");
    // A named token's change (its name goes to the audit log, never the token), and a wrong one.
    await admin("PATCH", "/bots/kira", { labels: { t: "2" } }, SECRETS.namedAdminToken);
    await admin("GET", "/bots", undefined, `${SECRETS.namedAdminToken}-wrong`);
    expect((await admin("GET", "/audit?limit=1")).text).toContain('"tokenName":"ci"');

    // The page's login: right, wrong (a password that is nearly the real one), and none.
    await get("/status", basic(`${SECRETS.pagePassword}x`));
    await get("/", {});
    for (const path of ["/", "/status", "/status/bots/anna", "/status/bots/revoked", "/status/bots/malformed", "/metrics", "/healthz", "/readyz", "/nope"]) await get(path);
    for (const name of ["leaky-hook", "leaky-names", "leaky-error"]) {
      await get(`/status/bots/${name}`);
      await admin("GET", `/bots/${name}`);
    }

    // The command line: config check and a one-shot check on the same config.
    const file = join(dir, "config.yaml");
    const cfg = await config();
    writeFileSync(file, YAML.stringify({ ...cfg, store: { path: join(dir, "cli-state.json"), secretKey: SECRETS.storeKey } }));
    for (const args of [["config", "check", "--config", file], ["check", "--config", file, "--json"]]) {
      const r = await cli(args, { LOG_LEVEL: "debug" });
      seen.push(r.stdout, r.stderr);
    }

    await service.store.flush();
    const surfaces: Record<string, string> = {
      "logs (debug)": logs.text,
      "HTTP responses and CLI output": seen.join("\n"),
      "webhook alert bodies and headers": hook.requests.map((r) => `${JSON.stringify(r.headers)} ${r.body.toString()}`).join("\n"),
      "Telegram alert messages": JSON.stringify(await (await fetch(`${sandbox.url}/_sandbox/messages`)).json()),
      // The database: the state, the history and the audit log (SQLite: the file and its write-ahead log, as bytes on disk).
      database: await storedText(dir),
    };
    // Every surface was really exercised.
    expect(surfaces["logs (debug)"]).toContain("notification not delivered");
    expect(surfaces["HTTP responses and CLI output"]).toContain("7000011:****");
    expect(surfaces["webhook alert bodies and headers"]).toContain("401 Unauthorized");
    expect(surfaces["Telegram alert messages"]).toContain("FIRING");
    expect(surfaces["HTTP responses and CLI output"]).toMatch(/^\/status 401 /m);
    expect(surfaces.database).toContain('"kira"');
    // Telegram's texts with the leaky tokens reached every surface, masked.
    for (const surface of ["HTTP responses and CLI output", "webhook alert bodies and headers", "database"])
      for (const shown of ["webhook delivery failed", "token=7000201:****&t2=7000201:**** for 7000201:****", "the token belongs to @7000202:****", "@7000202:**** (id 100000099)", "token 7000203:**** is not allowed", "Forbidden: 7000203:**** may not"])
        expect(surfaces[surface], `${surface} shows "${shown}"`).toContain(shown);

    let checked = 0;
    for (const [surface, text] of Object.entries(surfaces))
      for (const [name, secret] of Object.entries(SECRETS)) {
        checked++;
        expect(text.includes(secret), `${name} leaked into ${surface}`).toBe(false);
      }
    for (const [surface, text] of Object.entries(surfaces))
      for (const [name, form] of Object.entries(ENCODED_FORMS)) {
        checked++;
        expect(text.includes(form), `${name} leaked into ${surface}`).toBe(false);
      }
    console.log(`secrets: ${Object.keys(SECRETS).length} secrets + ${Object.keys(ENCODED_FORMS).length} encoded token forms × ${Object.keys(surfaces).length} surfaces = ${checked} searches, 0 leaks`);
  });
});
