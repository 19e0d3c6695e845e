import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { ensureDebianPackage } from "./debian.ts";
import { freePort } from "./loopback-daemon.ts";

/**
 * A real PostgreSQL from Debian's `postgresql` package, on loopback, for the tests (README, "Tests"):
 * installed when missing, a cluster of its own in a temporary directory, run as the package's
 * non-root `postgres` user (the server refuses root). fsync is off (nothing here outlives the machine's
 * page cache); synchronous commits stay on, so a stopped or killed server loses nothing it acknowledged.
 */
export interface RunningPostgres {
  /** The superuser's URL of the `postgres` database on the cluster. */
  adminUrl: string;
  port: number;
  /** Stops the server (`fast`: disconnects clients, checkpoints; `immediate`: as a crash). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const find = () => {
    const root = "/usr/lib/postgresql";
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
    return versions[0] && join(root, versions[0], "bin");
  };
  const found = find();
  if (found) return found;
  ensureDebianPackage("postgresql", "/usr/share/postgresql-common/pg_wrapper");
  const installed = find();
  if (!installed) throw new Error("installed Debian package postgresql, but no /usr/lib/postgresql/*/bin/postgres was found");
  return installed;
}

/** As root, the package's `postgres` user runs the server (spawned with its uid, so signals reach it directly). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** TLS for the server: PEM files of its certificate and key (copied into the cluster's directory). */
export interface ServerTls {
  certFile: string;
  keyFile: string;
}

export async function startPostgres(options: { tls?: ServerTls } = {}): Promise<RunningPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "sw-pg-"));
  const data = join(dir, "data");
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const env = { ...process.env, HOME: dir };
  execFileSync(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"], { stdio: "pipe", timeout: 120_000, env, ...user });
  const port = await freePort();
  writeFileSync(join(data, "postgresql.auto.conf"), [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${dir}'`,
    "fsync = off",
    "full_page_writes = off",
    "max_connections = 300",
    "shared_buffers = 64MB",
    ...(options.tls ? ["ssl = on", `ssl_cert_file = '${join(dir, "server.crt")}'`, `ssl_key_file = '${join(dir, "server.key")}'`] : []),
  ].join("\n") + "\n");
  if (options.tls) {
    // The server refuses a key others can read; both files are the server user's.
    copyFileSync(options.tls.certFile, join(dir, "server.crt"));
    copyFileSync(options.tls.keyFile, join(dir, "server.key"));
    chmodSync(join(dir, "server.key"), 0o600);
    if (user) for (const f of ["server.crt", "server.key"]) chownSync(join(dir, f), user.uid, user.gid);
  }
  if (user) chownSync(join(data, "postgresql.auto.conf"), user.uid, user.gid);
  let child: ChildProcess | undefined;
  let stderr = "";
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const start = async () => {
    stderr = "";
    const proc = spawn(join(bin, "postgres"), ["-D", data], { stdio: ["ignore", "ignore", "pipe"], env, ...user });
    child = proc;
    proc.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}: ${stderr}`);
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
      const ok = await client.connect().then(() => client.query("SELECT 1").then(() => true), () => false);
      await client.end().catch(() => undefined);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections on ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = (mode: "fast" | "immediate" = "fast") =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (!proc || proc.exitCode !== null) return resolve();
      proc.once("exit", () => resolve());
      // postgres: SIGINT is a fast shutdown, SIGQUIT an immediate one.
      proc.kill(mode === "fast" ? "SIGINT" : "SIGQUIT");
    });
  await start();
  return {
    adminUrl,
    port,
    stop,
    start,
    destroy: async () => {
      await stop("immediate");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, empty database on the cluster at `adminUrl`, for one test: its URL and how to drop it.
 * Every test gets its own, so test files running at once never see each other's rows.
 */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sw_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
