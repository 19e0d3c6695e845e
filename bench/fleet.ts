/**
 * The benchmark fleet: N bots, healthy and broken mixed, as a sandbox world (the stand-in's view)
 * and as config bots (the monitor's view), plus the Bot API requests one sweep of each bot sends,
 * which the raw fetch loop replays.
 */
import type { WorldInput } from "../src/sandbox/world.ts";
import { DEFAULT_REQUIRED_RIGHTS } from "../src/telegram/rights.ts";

/** The probe chat (a sandbox user) every bot's scope check writes "typing" to. */
export const PROBE_CHAT = 555000111;

/** How a bot of the fleet is broken; one in five is. */
export type BotKind = "healthy" | "revoked" | "missing-rights" | "out-of-scope" | "webhook-error";

/** 16 of 20 healthy, then one of each breakage: a fixed mix whatever N. */
export function kindOf(i: number): BotKind {
  const k = i % 20;
  if (k === 16) return "revoked";
  if (k === 17) return "missing-rights";
  if (k === 18) return "out-of-scope";
  if (k === 19) return "webhook-error";
  return "healthy";
}

/** Every right the checks require by default (the guide's permission table). */
const ALL_RIGHTS = Object.fromEntries(DEFAULT_REQUIRED_RIGHTS.map((right) => [right, true]));

export interface FleetBot {
  name: string;
  token: string;
  username: string;
  ownerId: number;
  connectionId: string;
  kind: BotKind;
}

export function fleet(n: number): FleetBot[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `creator-${i}`,
    token: `${1_000_000 + i}:bench-creator-${i}-Xk2v9`,
    username: `creator_${i}_secretary_bot`,
    ownerId: 200_000_000 + i,
    connectionId: `bc-creator-${i}`,
    kind: kindOf(i),
  }));
}

/** The stand-in's world: every bot exists; the breakage lives here (Telegram's side). */
export function worldFor(bots: readonly FleetBot[], latencyMs: number): WorldInput {
  return {
    latencyMs,
    users: [{ id: PROBE_CHAT, firstName: "Probe" }],
    bots: bots.map((b) => ({
      token: b.token,
      username: b.username,
      firstName: `Creator ${b.name}`,
      revoked: b.kind === "revoked",
      webhook: {
        url: `https://bots.example.com/${b.name}`,
        ipAddress: "203.0.113.10",
        // A delivery error every 30 s keeps the webhook check failing for the whole run.
        ...(b.kind === "webhook-error" && { lastErrorSecondsAgo: 5, lastErrorMessage: "Connection timed out", errorEverySeconds: 30 }),
      },
      starBalance: 100,
      connections: [
        {
          id: b.connectionId,
          userId: b.ownerId,
          rights: b.kind === "missing-rights" ? { can_reply: true, can_read_messages: true } : ALL_RIGHTS,
          recentInbound: [PROBE_CHAT],
          excludedChats: b.kind === "out-of-scope" ? [PROBE_CHAT] : [],
        },
      ],
    })),
  };
}

/** The monitor's config entries for the fleet. */
export function configBots(bots: readonly FleetBot[]): Record<string, unknown>[] {
  return bots.map((b) => ({
    name: b.name,
    token: b.token,
    username: b.username,
    owner: { id: b.ownerId },
    businessConnectionId: b.connectionId,
    probeChats: [PROBE_CHAT],
  }));
}

export interface PlannedRequest {
  method: string;
  payload: Record<string, unknown>;
}

/**
 * One sweep's requests for a bot, in the stages the sweep sends them (the checks' dependencies):
 * getMe; then getWebhookInfo and getBusinessConnection; then the scope probe and the Stars probe.
 * A revoked token stops at getMe; missing rights skip the Stars probe.
 */
export function sweepStages(b: FleetBot): PlannedRequest[][] {
  if (b.kind === "revoked") return [[{ method: "getMe", payload: {} }]];
  const connection = { business_connection_id: b.connectionId };
  const third: PlannedRequest[] = [{ method: "sendChatAction", payload: { chat_id: PROBE_CHAT, action: "typing", ...connection } }];
  if (b.kind !== "missing-rights") third.push({ method: "getBusinessAccountStarBalance", payload: connection });
  return [
    [{ method: "getMe", payload: {} }],
    [
      { method: "getWebhookInfo", payload: {} },
      { method: "getBusinessConnection", payload: connection },
    ],
    third,
  ];
}
