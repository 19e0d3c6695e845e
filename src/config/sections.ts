/**
 * The config sections that stand alone: how the Bot API is reached (telegram), the HTTP server, the
 * state store, the sweep schedule and the shard. Checks, alerts and bots are in schema.ts.
 */
import { z } from "zod";
import { DAY, MINUTE, SECOND, durationBetween } from "./duration.ts";
import { DEFAULT_API_ROOT, apiRoot, expected, isUrl, secret } from "./fields.ts";
import { proxyAddress } from "./proxy-address.ts";
import { adminTokens, auth, serverAccessProblems } from "./access-fields.ts";

export const telegram = z
  .strictObject({
    apiRoot: apiRoot.default(DEFAULT_API_ROOT).describe("Bot API root without trailing slash: Telegram's or a local Bot API server"),
    environment: z.enum(["prod", "test"]).default("prod").describe("prod, or test for Telegram's test environment"),
    timeout: durationBetween(100, 5 * MINUTE).default(10 * SECOND).describe("Deadline of one Bot API call (100ms to 5m)"),
  })
  .describe("How the monitor reaches the Bot API");

export const server = z
  .strictObject({
    host: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65_535).default(9464),
    adminToken: secret("Bearer token of the admin API under /api/v1 (named \"admin\" in the audit log); empty, with no adminTokens, disables the admin API"),
    adminTokens: adminTokens,
    auth: auth.prefault({}),
    publicUrl: z
      .string()
      .refine((v) => v === "" || isUrl(v, ["http:", "https:"]), { error: expected('an http(s) URL such as https://watch.example.com, or ""') })
      .default("")
      .describe("Where people open the status page; alerts link to it when set"),
    metricsToken: secret("Bearer token required by GET /metrics; empty leaves /metrics open"),
    trustProxy: z
      .array(proxyAddress)
      .default([])
      .describe("Reverse proxies (IPs, CIDRs) whose X-Forwarded-For names the client; empty: the peer is the client"),
  })
  .superRefine((value, ctx) => {
    for (const p of serverAccessProblems(value)) ctx.addIssue({ code: "custom", input: undefined, path: p.path, message: p.message });
  })
  .describe("The HTTP server: status page, /status, /metrics, admin API");

export const store = z.strictObject({
  path: z
    .string()
    .min(1)
    .default("./data/secretary-watch.db")
    .describe("The embedded SQLite database (state and history); a JSON state file of the earlier format found here is imported"),
  url: z
    .string()
    .default("")
    .refine((v) => v === "" || isPostgresUrl(v), { error: expected('"" (the embedded database) or postgres://user:password@host:5432/database (TLS options such as ?sslmode=require in the URL)') })
    .describe("postgres://…: a PostgreSQL shared by every replica (equal replicas that hold shards by lease); empty: the embedded database at path"),
  secretKey: secret("Encrypts tokens of bots registered through the admin API (AES-256-GCM); without it the API refuses to store tokens"),
  retention: durationBetween(DAY, 10 * 365 * DAY).default(180 * DAY).describe("History older than this is pruned, in the background (1d to 10y)"),
});

function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "";
  } catch {
    return false;
  }
}

export const schedule = z.strictObject({
  interval: durationBetween(500, DAY).default(MINUTE).describe("Each bot is swept once per interval, spread evenly (500ms to 1d)"),
  concurrency: z.number().int().positive().default(32).describe("Bots swept at the same time at most"),
});

export const shard = z
  .strictObject({
    index: z.number().int().nonnegative().default(0),
    count: z.number().int().positive().default(1),
  })
  .superRefine(
    (value, ctx) => {
      if (!value || typeof value !== "object") return;
      const { index, count } = value as { index: unknown; count: unknown };
      if (typeof index === "number" && typeof count === "number" && index >= count)
        ctx.addIssue({ code: "custom", input: index, path: ["index"], message: `expected less than shard.count (${count}), got ${index} (shards count from 0)` });
    },
    { when: () => true },
  )
  .describe("This instance watches only the bots whose name hashes to index (of count); with store.url, count only: replicas claim the shards by lease");
