import pg from "pg";
import { redactSecrets } from "../../redact.ts";

/**
 * A pool of connections to the database at `url` (store.url). TLS and its options come from the URL as
 * libpq reads them (`sslmode=disable|prefer|require|verify-ca|verify-full`, `sslrootcert`, `sslcert`,
 * `sslkey`; see libpqSslModes).
 * BIGINT columns (epoch milliseconds, ids, sequence numbers) are read as numbers: every one of them is
 * below 2^53.
 */
export interface PoolOptions {
  url: string;
  /** Connections at most (default 8: commits are one at a time; reads of the history share the rest). */
  max?: number;
  /** How long a query may wait for a connection or for the server to answer a connect (default 5 s). */
  connectTimeoutMs?: number;
  /** An idle connection that failed (the server restarted): the pool drops it and reports here. */
  onError?: (err: Error) => void;
}

const BIGINT = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === BIGINT ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: libpqSslModes(options.url),
    max: options.max ?? 8,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // Abandon a statement the server does not answer: a write that hangs must fail and be retried.
    query_timeout: 30_000,
    application_name: "secretary-watch",
    types,
  });
  // Without a listener an idle client's error (the server went away) would crash the process.
  pool.on("error", (err) => options.onError?.(err));
  return pool;
}

/**
 * `sslmode` as libpq (psql, every DATABASE_URL's home) means it: `require` encrypts without verifying
 * the server, `verify-ca` checks the chain against `sslrootcert`, `verify-full` the host name too. pg 8
 * reads `require` as `verify-full` unless told otherwise (its v9 switches to libpq's meaning), which
 * refuses the managed databases whose CA is not in Node's store that `?sslmode=require` is written for.
 */
export function libpqSslModes(url: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has("sslmode") || u.searchParams.has("uselibpqcompat")) return url;
    u.searchParams.set("uselibpqcompat", "true");
    return u.toString();
  } catch {
    return url; // pg reports what is wrong with it
  }
}

/** The URL with its password masked, for logs and errors. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return redactSecrets(u.toString());
  } catch {
    return "store.url (not a URL)";
  }
}

/**
 * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it
 * throws (`begin` may name an isolation level). While the connection is out of the pool, an error it
 * emits between statements (the server went away) marks it broken rather than crashing the process; a
 * broken connection is dropped, not handed to the next query.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = "BEGIN"): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => (broken = true);
  client.on("error", onError);
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => (broken = true));
    throw err;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}
