/**
 * store.url's TLS options (README, "Storage and history"), against a real PostgreSQL serving TLS with a
 * certificate authority and a server certificate this test makes (openssl): `sslmode` means what libpq
 * says it means.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../../src/store/postgres/pool.ts";
import { createDatabase, startPostgres, type RunningPostgres } from "../../support/postgres.ts";

const dir = mkdtempSync(join(tmpdir(), "pg-tls-"));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

/** A CA, and a server certificate it signs for `host` (IP SAN 127.0.0.1 when host is that). */
function makeCertificates(host: string): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=secretary-watch test CA", "-keyout", file("ca.key"), "-out", file("ca.crt"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${host}`, "-keyout", file("server.key"), "-out", file("server.csr"));
  writeFileSync(file("san.ext"), /^\d+\.\d+\.\d+\.\d+$/.test(host) ? `subjectAltName=IP:${host}\n` : `subjectAltName=DNS:${host}\n`);
  openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", file("san.ext"), "-out", file("server.crt"));
}

/** Whether the connection the pool opens for `url` is encrypted (the server says so). */
async function encrypted(url: string): Promise<boolean> {
  const pool = createPool({ url, max: 1 });
  try {
    const { rows } = await pool.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    return rows[0]!.ssl;
  } finally {
    await pool.end();
  }
}

describe("store.url over TLS", () => {
  let server: RunningPostgres;
  let url: string;
  beforeAll(async () => {
    makeCertificates("127.0.0.1");
    server = await startPostgres({ tls: { certFile: file("server.crt"), keyFile: file("server.key") } });
    url = (await createDatabase(server.adminUrl)).url;
  }, 60_000);
  afterAll(() => server?.destroy());

  it("when the URL says sslmode=require, then the connection is encrypted without checking the certificate (as libpq)", async () => {
    expect(await encrypted(`${url}?sslmode=require`)).toBe(true);
  });

  it("when the URL says sslmode=verify-full with the CA as sslrootcert, then it connects encrypted; without the CA it is refused", async () => {
    expect(await encrypted(`${url}?sslmode=verify-full&sslrootcert=${file("ca.crt")}`)).toBe(true);
    await expect(encrypted(`${url}?sslmode=verify-full`)).rejects.toThrow(/self-signed certificate|unable to verify|certificate/);
  });

  it("when the URL asks for no TLS, then the connection is plain", async () => {
    expect(await encrypted(`${url}?sslmode=disable`)).toBe(false);
    expect(await encrypted(url)).toBe(false);
  });
});
