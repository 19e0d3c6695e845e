/**
 * Issue 8, crashes, the store's files at their edges (on the database since issue 14): what a write or
 * an import cut short leaves behind, and what the admin API promises when the disk refuses ("every write
 * is on disk before it is answered").
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, writeSync, openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { fleetBots, healthyWorld } from "../support/healthy-fleet.ts";
import { kill9OnNextWrite, killAll, spawnCli, waitReady } from "../support/faults-process.ts";
import { companionSizes, readDatabase } from "../support/database-reader.ts";
import { writeLegacyStateFile } from "../support/legacy-state.ts";
import { isLegacyStateFile, readLegacyStateFile } from "../../src/store/legacy-state-file.ts";
import { mountTmpfs } from "../support/read-only-disk.ts";
import { sleep, startTestService, storePath, until } from "../support/service-harness.ts";

const BOTS = 50;
const ADMIN_TOKEN = "state-file-admin-token-77aa";
/** SQLite checkpoints its write-ahead log at 1,000 pages (4 MB): with one transaction's worth more, its bound. */
const WAL_BOUND = 5 * 2 ** 20;

/** Fills the disk under `dir` to the last byte: a file of 1 MB writes, then 4 KB ones, until ENOSPC. */
function fillDisk(dir: string): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  try {
    for (const size of [2 ** 20, 4096, 1])
      for (;;) {
        try {
          writeSync(fd, Buffer.alloc(size));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw err;
        }
      }
  } finally {
    closeSync(fd);
  }
  return filler;
}

describe("the database under crashes and write failures", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(killAll);

  it("when crashes cut imports and commits short again and again, then no staged import or write-ahead log piles up next to the database, and nothing of the state file is lost", async () => {
    const sandbox: Sandbox = await startSandbox({ world: healthyWorld(BOTS) });
    cleanup.push(() => sandbox.close());
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-tmpfiles-"));
    const dbPath = join(dir, "secretary-watch.db");
    const configPath = join(dir, "config.yaml");
    // A state file of the earlier format where the database will be: the first starts import it.
    // Big enough (some 4 MB) that the import takes a while: the kills land inside it.
    const silences = Array.from({ length: 20_000 }, (_, i) => ({ id: `s-${i}`, matchers: { name: `nobody-${i}` }, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: `kept ${i}` }));
    await writeLegacyStateFile(dbPath, { silences });
    const startCli = async () => {
      const port = await freePort();
      writeFileSync(
        configPath,
        JSON.stringify({
          telegram: { apiRoot: sandbox.url, timeout: "2s" },
          schedule: { interval: "500ms" },
          server: { host: "127.0.0.1", port },
          store: { path: dbPath },
          bots: fleetBots(BOTS),
        }),
      );
      const proc = spawnCli(["start", "--config", configPath]);
      await waitReady(proc, `http://127.0.0.1:${port}/readyz`, 20_000);
      return proc;
    };
    const figures = { killsInImport: 0, stagedLeft: 0, killsOnCommit: 0, walMaxBytes: 0 };

    // Crashes while the import stages the database: as it creates `<path>.tmp-db`, as it writes the rows
    // there, as it renames the state file.
    const importSteps = [[".tmp-db"], [".tmp-db-wal"], [".imported"]];
    for (const [i, step] of importSteps.entries()) {
      writeFileSync(configPath, JSON.stringify({ telegram: { apiRoot: sandbox.url }, server: { host: "127.0.0.1", port: await freePort() }, store: { path: dbPath }, bots: fleetBots(BOTS) }));
      const proc = spawnCli(["start", "--config", configPath]);
      if (await kill9OnNextWrite(proc, dbPath, 5000, step)) figures.killsInImport++;
      if (existsSync(`${dbPath}.tmp-db`)) figures.stagedLeft++;
      // Whatever moment the kill took, the silences are still in the state file, or in the staged import once
      // the file was renamed, or in the database once that was moved into place.
      const where = isLegacyStateFile(dbPath) ? "state file" : existsSync(dbPath) ? "database" : "staged import";
      const kept = where === "state file" ? (await readLegacyStateFile(dbPath))!.silences : readDatabase(where === "database" ? dbPath : `${dbPath}.tmp-db`).silences;
      expect(kept.map((s) => s.id), `the silences in the ${where} after kill ${i}`).toEqual(silences.map((s) => s.id));
    }
    // Crashes in the middle of commits (the kill fires when a commit appends to the write-ahead log).
    for (let i = 0; i < 4; i++) {
      if (await kill9OnNextWrite(await startCli(), dbPath, 3000)) figures.killsOnCommit++;
      figures.walMaxBytes = Math.max(figures.walMaxBytes, companionSizes(dbPath)[`${dbPath}-wal`]!);
      expect(readDatabase(dbPath).silences.map((s) => s.id)).toEqual(silences.map((s) => s.id));
    }
    expect(figures.killsOnCommit).toBeGreaterThanOrEqual(2);

    // A clean run afterwards: it commits many times and stops.
    const proc = await startCli();
    await sleep(2500);
    proc.child.kill("SIGTERM");
    expect((await proc.exited).code, proc.output()).toBe(0);
    console.log(
      `[database files] ${figures.killsInImport} kills as the import staged the database (${figures.stagedLeft} left it staged), ` +
        `${figures.killsOnCommit} kills on a commit; largest write-ahead log after a crash ${figures.walMaxBytes} bytes`,
    );
    expect(figures.walMaxBytes).toBeLessThan(WAL_BOUND);
    // After a clean stop the log is checkpointed into the file and removed; no staged import is left.
    expect(Object.entries(companionSizes(dbPath)).filter(([, size]) => size > 0)).toEqual([]);
    expect(existsSync(`${dbPath}.imported`)).toBe(true);
    expect(readDatabase(dbPath).silences).toEqual(silences);
  }, 60_000);

  it("when the disk is full, then the admin API does not answer 201 for a silence that is not on disk", async () => {
    const sandbox: Sandbox = await startSandbox({ world: healthyWorld(3) });
    cleanup.push(() => sandbox.close());
    const disk = mountTmpfs(8);
    cleanup.push(() => disk.close());
    const { service } = await startTestService(
      { telegram: { apiRoot: sandbox.url, timeout: "1s" }, schedule: { interval: "1s" }, server: { adminToken: ADMIN_TOKEN }, bots: fleetBots(3) },
      {},
      disk.dir,
      { secretKey: "state-file-secret-key-0123456789" },
    );
    cleanup.push(() => service.stop());
    const dbPath = storePath(disk.dir);
    await until("the first sweeps on disk", () => (Object.keys(readDatabase(dbPath).results).length === 3 ? true : undefined), 5000);

    // Every commit fails from now on: the write-ahead log cannot grow on a full disk.
    const filler = fillDisk(disk.dir);
    cleanup.push(() => rmSync(filler));

    const res = await fetch(`${service.url}/api/v1/silences`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ matchers: { name: "bot-0" }, duration: "1h", reason: "disk full" }),
    });
    const onDisk = readDatabase(dbPath).silences.some((s) => s.reason === "disk full");
    // A crash now would lose a silence the caller was told exists.
    expect({ status: res.status, onDisk }).not.toEqual({ status: 201, onDisk: false });
    expect(res.status, await res.text()).toBeGreaterThanOrEqual(500);
  }, 30_000);
});
