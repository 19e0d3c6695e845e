/**
 * A fleet of healthy sandbox bots and the config that watches it, the sandbox control API, and a few
 * statistics: for the alert, fault and crash tests.
 */
import type { FaultInput } from "../../src/sandbox/faults.ts";
import type { WorldSpec } from "../../src/sandbox/world.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import { DEFAULT_REQUIRED_RIGHTS } from "../../src/telegram/rights.ts";
import type { ReceivedRequest } from "./http-receiver.ts";

/** The user every bot must be able to reach (its probe chat). */
export const PROBE = 555000111;

/** Every right the checks require by default (the guide's permission table). */
const ALL_RIGHTS = Object.fromEntries(DEFAULT_REQUIRED_RIGHTS.map((right) => [right, true]));

/** Every Bot API method a sweep calls: faults go on these, not on the whole sandbox. */
export const MONITORED_METHODS = ["getMe", "getBusinessConnection", "getWebhookInfo", "sendChatAction", "getBusinessAccountStarBalance"];

export const botToken = (i: number) => `${7100000 + i}:healthy-${i}-Qa1`;
export const botUsername = (i: number) => `healthy_${i}_bot`;
export const botName = (i: number) => `bot-${i}`;

/** The world (as plain JSON) of `n` healthy Secretary bots, `healthy_0_bot` … `healthy_(n-1)_bot`. */
export function healthyWorldSpec(n: number): Record<string, unknown> {
  const bots = Array.from({ length: n }, (_, i) => ({
    token: botToken(i),
    id: 7100000 + i,
    username: botUsername(i),
    firstName: `Healthy ${i}`,
    webhook: { url: `https://bots.example.com/${i}` },
    connections: [{ id: `bc-${i}`, userId: 200000000 + i, rights: ALL_RIGHTS, recentInbound: [PROBE] }],
  }));
  return { users: [{ id: PROBE, firstName: "Probe" }], bots };
}

export function healthyWorld(n: number): WorldSpec {
  return parseWorld(healthyWorldSpec(n));
}

/**
 * The `bots` section watching the first `n` bots of the healthy world as `bot-0` … `bot-(n-1)`. Their
 * webhook host (bots.example.com) resolves nowhere, and these fleets are about alerts and faults, not
 * endpoints: webhook-endpoint is off for them (test/checks/webhook-endpoint.test.ts is about it).
 */
export function fleetBots(n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({
    name: botName(i),
    token: botToken(i),
    username: botUsername(i),
    owner: { id: 200000000 + i },
    businessConnectionId: `bc-${i}`,
    probeChats: [PROBE],
    checks: { "webhook-endpoint": { enabled: false } },
  }));
}

/** A webhook alert channel posting to `url` (an httpReceiver), so every notification is captured. */
export const webhookChannel = (url: string) => ({ capture: { type: "webhook", url } });

/** The sandbox control API under `/_sandbox`; throws on an error answer. */
export async function control(sandboxUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandboxUrl}/_sandbox${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

export async function injectFault(sandboxUrl: string, fault: FaultInput): Promise<string> {
  return ((await control(sandboxUrl, "POST", "/faults", fault)) as { id: string }).id;
}

export async function clearFaults(sandboxUrl: string): Promise<void> {
  await control(sandboxUrl, "DELETE", "/faults");
}

/** Bot API calls the sandbox has seen on `methods` (all bots). */
export async function sandboxCalls(sandboxUrl: string, methods: readonly string[] = MONITORED_METHODS): Promise<number> {
  const calls = (await control(sandboxUrl, "GET", "/calls")) as Array<{ bot: string | null; method: string; count: number }>;
  const wanted = new Set(methods.map((m) => m.toLowerCase()));
  return calls.filter((c) => wanted.has(c.method.toLowerCase())).reduce((sum, c) => sum + c.count, 0);
}

/** A notification as the webhook channel posts it. */
export interface Delivered {
  version: number;
  key: string;
  scope: "bot" | "monitor";
  kind: "firing" | "reminder" | "resolved" | "test";
  at: string;
  summary: string;
  checks: Array<{ check: string; status: string; message: string }>;
}

export function deliveries(requests: readonly ReceivedRequest[]): Delivered[] {
  return requests.map((r) => JSON.parse(r.body.toString("utf8")) as Delivered);
}

/** The p-th percentile (0..100) of `samples`, nearest rank; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
