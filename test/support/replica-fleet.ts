/**
 * Replicas on loopback sharing one real PostgreSQL (issue 15's acceptance): the sandbox as its own
 * process with a healthy world, one webhook receiver for every notification, and N services as
 * `start --config` runs them, each on its own port with the same config but for the port.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./loopback-daemon.ts";
import { botUsername, fleetBots, healthyWorldSpec, webhookChannel } from "./healthy-fleet.ts";
import { spawnService, startSandboxProcess, waitReady, type Proc } from "./faults-process.ts";
import { httpReceiver, type HttpReceiver } from "./http-receiver.ts";

export const ADMIN_TOKEN = "replicas-test-admin-token-7c2e";

export interface ReplicaFleetOptions {
  databaseUrl: string;
  /** Bots in the config; the sandbox's world has `spare` more, for registrations through the API. */
  bots: number;
  spare?: number;
  replicas: number;
  intervalMs: number;
  shardCount: number;
  leaseMs: number;
  concurrency?: number;
}

export interface Replica {
  index: number;
  url: string;
  proc: Proc;
}

export interface ReplicaFleet {
  sandbox: string;
  receiver: HttpReceiver;
  replicas: Replica[];
  /** Starts replica `index` again (after a kill) on its port. */
  restart(index: number): Promise<Replica>;
  /** A client on the shared database (ended by `close`). */
  db: pg.Client;
  /** Shard → the pid of the replica holding an unexpired lease on it. */
  holders(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

export async function startReplicaFleet(o: ReplicaFleetOptions): Promise<ReplicaFleet> {
  const dir = mkdtempSync(join(tmpdir(), "replicas-"));
  const worldFile = join(dir, "world.json");
  writeFileSync(worldFile, JSON.stringify(healthyWorldSpec(o.bots + (o.spare ?? 0))));
  const sandbox = await startSandboxProcess(worldFile, await freePort());
  const receiver = await httpReceiver();
  const ports = await Promise.all(Array.from({ length: o.replicas }, () => freePort()));
  const configOf = (port: number) => {
    const file = join(dir, `replica-${port}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        telegram: { apiRoot: sandbox.url, timeout: "5s" },
        server: { host: "127.0.0.1", port, adminToken: ADMIN_TOKEN },
        store: { url: o.databaseUrl, secretKey: "replicas-test-secret-key-0123456789" },
        schedule: { interval: `${o.intervalMs}ms`, concurrency: o.concurrency ?? 32 },
        shard: { count: o.shardCount },
        checks: { webhook: { mode: "any" } },
        alerts: { failAfter: 1, recoverAfter: 1, channels: webhookChannel(receiver.url) },
        bots: fleetBots(o.bots),
      }),
    );
    return file;
  };
  const start = async (index: number): Promise<Replica> => {
    const port = ports[index]!;
    const proc = spawnService(configOf(port), { heartbeatMs: 1000, flushMs: 5000, leaseMs: o.leaseMs, pollMs: 500 });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/readyz`, 60_000);
    return { index, url, proc };
  };
  const replicas: Replica[] = [];
  for (let i = 0; i < o.replicas; i++) replicas.push(await start(i));
  const db = new pg.Client({ connectionString: o.databaseUrl });
  // A test that stops the server ends this connection too: not an error of the test's.
  db.on("error", () => undefined);
  await db.connect();
  return {
    sandbox: sandbox.url,
    receiver,
    replicas,
    db,
    restart: async (index) => (replicas[index] = await start(index)),
    holders: async () => {
      const { rows } = await db.query<{ shard: number; replica: string }>(
        "SELECT shard, replica FROM shard_leases WHERE replica IS NOT NULL AND expires_at > secretary_now_ms()",
      );
      return new Map(rows.map((r) => [r.shard, Number(r.replica.split("/")[1])]));
    },
    close: async () => {
      await Promise.all(replicas.map((r) => r.proc.kill9()));
      await sandbox.proc.kill9();
      await db.end();
    },
  };
}

/** getMe calls per bot username so far (one per sweep). */
export async function sweepsByBot(sandbox: string): Promise<Map<string, number>> {
  const calls = (await (await fetch(`${sandbox}/_sandbox/calls`)).json()) as Array<{ bot: string | null; method: string; count: number }>;
  return new Map(calls.filter((c) => c.method === "getMe" && c.bot).map((c) => [c.bot!, c.count]));
}

/** The bots whose per-bot series a replica's /metrics carries (those it sweeps). */
export async function botsInMetrics(url: string): Promise<Set<string>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return new Set([...text.matchAll(/^secretary_bot_info\{bot="([^"]+)"/gm)].map((m) => m[1]!));
}

export { botUsername };
