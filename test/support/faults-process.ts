/**
 * Support for the crash and shutdown tests (test/faults): the real command line as a child process
 * (service and sandbox), a webhook receiver on a chosen port, and the moment the service writes to its
 * database (test/support/database-reader.ts reads it as another process would).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { watch } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { basename, dirname } from "node:path";

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far (logs, for failure messages). */
  output(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL, and waits for the exit. */
  kill9(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** `node src/cli/main.ts ...args` with the project's Node; LOG_LEVEL=warn unless `env` says otherwise. */
export function spawnCli(args: string[], env: Record<string, string> = {}): Proc {
  return spawnNode("src/cli/main.ts", args, env);
}

/** Timings the CLI does not take, for test/support/service-process.ts. */
export interface ServiceTimings {
  heartbeatMs?: number;
  flushMs?: number;
  /** Replicas: a shard lease, and the change feed's poll. */
  leaseMs?: number;
  pollMs?: number;
  /** A full GC every this many ms (memory figures). */
  gcMs?: number;
}

/** The service on `configPath` as `start --config` runs it, with shortened timings (service-process.ts). */
export function spawnService(configPath: string, timings: ServiceTimings, env: Record<string, string> = {}): Proc {
  const flags = [
    ...(timings.heartbeatMs === undefined ? [] : ["--heartbeat-ms", String(timings.heartbeatMs)]),
    ...(timings.flushMs === undefined ? [] : ["--flush-ms", String(timings.flushMs)]),
    ...(timings.leaseMs === undefined ? [] : ["--lease-ms", String(timings.leaseMs)]),
    ...(timings.pollMs === undefined ? [] : ["--poll-ms", String(timings.pollMs)]),
    ...(timings.gcMs === undefined ? [] : ["--gc-ms", String(timings.gcMs)]),
  ];
  return spawnNode("test/support/service-process.ts", ["--config", configPath, ...flags], env);
}

function spawnNode(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Kills every child still running (for afterAll), each by its own pid. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** Polls `url` until it answers 200; fails early when the process dies. */
export async function waitReady(proc: Proc, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive()) throw new Error(`process exited before ready:\n${proc.output()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms (${url}):\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The sandbox as its own process (`secretary-watch sandbox`), so its load does not slow the test. */
export async function startSandboxProcess(worldFile: string, port: number): Promise<{ url: string; proc: Proc }> {
  const proc = spawnCli(["sandbox", "--world", worldFile, "--port", String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, `${url}/_sandbox/faults`, 20_000);
  return { url, proc };
}

/**
 * SIGKILLs `proc` the moment it next writes to the database at `dbPath` (inotify): a commit appending to
 * the write-ahead log, a checkpoint writing the file itself, or an import staging `<path>.tmp-db`, so the
 * kill lands inside the write; `on` narrows it to those files (suffixes of the database's name, such as
 * ".tmp-db-wal" or ".imported"). Falls back to a plain SIGKILL after `timeoutMs`. Returns whether it was
 * a write that triggered the kill.
 */
export async function kill9OnNextWrite(proc: Proc, dbPath: string, timeoutMs: number, on: readonly string[] = ["", "-wal", ".tmp-db", ".tmp-db-wal"]): Promise<boolean> {
  const name = basename(dbPath);
  const written = new Set(on.map((suffix) => `${name}${suffix}`));
  let byWrite = false;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      watcher.close();
      if (proc.alive()) proc.child.kill("SIGKILL");
      resolve();
    };
    const watcher = watch(dirname(dbPath), (_event, file) => {
      if (file !== null && written.has(file)) {
        byWrite = true;
        done();
      }
    });
    const timer = setTimeout(done, timeoutMs);
  });
  await proc.exited;
  return byWrite;
}

export interface PortReceiver {
  /** JSON bodies received, each answered 200. */
  bodies: unknown[];
  close(): Promise<void>;
}

/** A webhook receiver on a given port (the one the config names): records each body, answers 200. */
/**
 * A receiver that is down, on a port kept for it: every connection is reset at once (a transient
 * network error for the channel), and no other server on the machine (another test's, on port 0)
 * can take the port and answer in its place. `up()` brings the real receiver up on the same port.
 */
export async function downReceiver(): Promise<{ port: number; up(): Promise<PortReceiver>; close(): Promise<void> }> {
  const holder = createNetServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve, reject) => {
    holder.once("error", reject);
    holder.listen(0, "127.0.0.1", () => resolve());
  });
  holder.unref(); // a test that fails before up() must not be kept alive by it
  const { port } = holder.address() as AddressInfo;
  let open = true;
  const close = () => (open ? ((open = false), new Promise<void>((resolve) => holder.close(() => resolve()))) : Promise.resolve());
  return { port, close, up: async () => (await close(), receiverOn(port)) };
}

export async function receiverOn(port: number): Promise<PortReceiver> {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
