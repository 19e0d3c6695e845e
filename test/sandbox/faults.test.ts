/** Fault injection over real HTTP: 429, 500, nginx 502/503, any answer, patched results, latency, hang, reset, count, world latency. */
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/server.ts";
import type { Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import type { WorldInput } from "../../src/sandbox/world.ts";

const ANNA = "7000001:anna-token";
const BORIS = "7000002:boris-token";

function worldWith(extra: Partial<WorldInput> = {}) {
  return parseWorld({
    bots: [
      { token: ANNA, username: "anna_bot", firstName: "Anna" },
      { token: BORIS, username: "boris_bot", firstName: "Boris" },
    ],
    ...extra,
  });
}

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(extra: Partial<WorldInput> = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ world: worldWith(extra) });
  return sandbox;
}

const get = (sb: Sandbox, token: string, method: string, init?: RequestInit) => fetch(`${sb.url}/bot${token}/${method}`, init);

async function addFault(sb: Sandbox, fault: object): Promise<string> {
  const res = await fetch(`${sb.url}/_sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("status faults", () => {
  it("when a 429 fault is set, then the Telegram flood envelope with retry_after", async () => {
    const sb = await start();
    await addFault(sb, { bot: "anna_bot", status: 429, retryAfter: 7 });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    });
  });
  it("when a 500 fault is set, then the JSON Internal Server Error envelope", async () => {
    const sb = await start();
    await addFault(sb, { status: 500 });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error_code: 500, description: "Internal Server Error" });
  });
  it("when a 502 fault is set, then an nginx HTML page, not JSON", async () => {
    const sb = await start();
    await addFault(sb, { status: 502 });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toMatch(/^<html>/);
    expect(body).toContain("502 Bad Gateway");
  });
  it("when a 503 fault is set, then an nginx HTML page", async () => {
    const sb = await start();
    await addFault(sb, { status: 503 });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("503 Service Temporarily Unavailable");
  });
});

describe("answers that are not the Bot API's", () => {
  it("when an answer fault gives only a status, then nginx's HTML page for that status", async () => {
    const sb = await start();
    await addFault(sb, { answer: { status: 404 } });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("<title>404 Not Found</title>");
  });
  it("when an answer fault gives a body and content type, then exactly that is answered", async () => {
    const sb = await start();
    await addFault(sb, { answer: { status: 200, contentType: "application/json", body: '{"ok":false}' } });
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.text()).toBe('{"ok":false}');
  });
  it("when a patchResult fault is set, then the real answer comes with those result fields replaced", async () => {
    const sb = await start();
    await addFault(sb, { methods: ["getMe"], patchResult: { can_connect_to_business: "true", extra: [1] } });
    const body = (await (await get(sb, ANNA, "getMe")).json()) as { ok: boolean; result: Record<string, unknown> };
    expect(body.ok).toBe(true);
    expect(body.result).toMatchObject({ id: 7000001, username: "anna_bot", can_connect_to_business: "true", extra: [1] });
  });
  it("when a patchResult fault meets a refusal, then the refusal stands", async () => {
    const sb = await start();
    await addFault(sb, { patchResult: { id: 1 } });
    const res = await get(sb, "7000009:unknown-token", "getMe");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
  });
  it("when a fault combines answer or patchResult with another outcome, then 400 says they exclude each other", async () => {
    const sb = await start();
    for (const fault of [{ answer: { status: 404 }, status: 500 }, { patchResult: {}, reset: true }]) {
      const res = await fetch(`${sb.url}/_sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/exclude each other/);
    }
  });
});

describe("targeting", () => {
  it("when a fault names a bot and methods, then only those calls are hit (method case-insensitive)", async () => {
    const sb = await start();
    await addFault(sb, { bot: "anna_bot", methods: ["getwebhookinfo"], status: 502 });
    expect((await get(sb, ANNA, "getWebhookInfo")).status).toBe(502);
    expect((await get(sb, ANNA, "getMe")).status).toBe(200);
    expect((await get(sb, BORIS, "getWebhookInfo")).status).toBe(200);
  });
  it("when a fault has no bot, then even unknown tokens are hit", async () => {
    const sb = await start();
    await addFault(sb, { status: 503 });
    expect((await get(sb, "1:unknown", "getMe")).status).toBe(503);
  });
  it("when a fault has a count, then it applies that many times and removes itself", async () => {
    const sb = await start();
    await addFault(sb, { status: 500, count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(sb, ANNA, "getMe")).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(await (await fetch(`${sb.url}/_sandbox/faults`)).json()).toEqual([]);
  });
  it("when a fault is deleted, then calls succeed again", async () => {
    const sb = await start();
    const id = await addFault(sb, { status: 500 });
    expect((await fetch(`${sb.url}/_sandbox/faults/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await get(sb, ANNA, "getMe")).status).toBe(200);
  });
  it("when faults are declared in the world file, then they apply from the start", async () => {
    const sb = await start({ faults: [{ bot: "boris_bot", status: 429, retryAfter: 30 }] });
    const res = await get(sb, BORIS, "getMe");
    expect(res.status).toBe(429);
    expect(((await res.json()) as { parameters: unknown }).parameters).toEqual({ retry_after: 30 });
  });
});

describe("timing faults", () => {
  it("when a latency fault is set, then the answer comes after the delay", async () => {
    const sb = await start();
    await addFault(sb, { bot: "anna_bot", latencyMs: 150 });
    const t0 = performance.now();
    const res = await get(sb, ANNA, "getMe");
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = performance.now();
    await get(sb, BORIS, "getMe");
    expect(performance.now() - t1).toBeLessThan(100);
  });
  it("when the world has a default latency, then every call is delayed", async () => {
    const sb = await start({ latencyMs: 120 });
    const t0 = performance.now();
    await get(sb, BORIS, "getMe");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
  });
  it("when a hang fault is set, then the client times out, and close() still returns promptly", async () => {
    const sb = await start();
    await addFault(sb, { hang: true });
    const t0 = performance.now();
    await expect(get(sb, ANNA, "getMe", { signal: AbortSignal.timeout(300) })).rejects.toThrow(/aborted|timeout/i);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    // A second hung request is still open while we close.
    const pending = get(sb, ANNA, "getMe").catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t1 = performance.now();
    await sb.close();
    expect(performance.now() - t1).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
  it("when a reset fault is set, then the connection is destroyed and fetch rejects", async () => {
    const sb = await start();
    await addFault(sb, { reset: true, count: 1 });
    await expect(get(sb, ANNA, "getMe")).rejects.toThrow(/fetch failed/);
    expect((await get(sb, ANNA, "getMe")).status).toBe(200);
  });
});
