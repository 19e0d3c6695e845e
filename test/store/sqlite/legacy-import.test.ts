import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateStore } from "../../../src/store/state-store.ts";
import type { WatchState } from "../../../src/watch-state.ts";
import { SecretBox } from "../../../src/store/secret-box.ts";
import { step } from "../../../src/alerts/state-machine.ts";
import type { AlertMessage } from "../../../src/alerts/types.ts";
import { isLegacyStateFile, readLegacyStateFile } from "../../../src/store/legacy-state-file.ts";
import { SqliteDatabase } from "../../../src/store/sqlite/database.ts";
import { importLegacyState } from "../../../src/store/sqlite/import-legacy.ts";
import { readState } from "../../../src/store/sqlite/state-rows.ts";

// Built here so that no real-looking token is committed: a fake with the shape of BotFather's tokens.
const TOKEN = `123456789:AA${"f".repeat(33)}`;
const tempDir = () => mkdtempSync(join(tmpdir(), "legacy-"));
const at = "2026-11-24T12:00:00.000Z";

/** A state file written by the current release's StateStore, with every slice it holds. */
async function currentReleaseStateFile(path: string) {
  const store = await StateStore.open<WatchState>({ path, flushIntervalMs: 10 });
  const box = new SecretBox("a passphrase for tests");
  void store.bots.put("anna", {
    config: { name: "anna", username: "anna_secretary_bot", ownerId: 42, labels: { team: "ops" }, checks: { latency: { warnMs: 800 } } } as never,
    sealedToken: box.seal(TOKEN, "anna"),
    createdAt: at,
    updatedAt: "2026-11-25T08:00:00.000Z",
  });
  void store.connections.put("anna", "bc-anna-1");
  void store.connections.put("bob", "bc-bob-7");
  void store.results.put("anna", {
    name: "anna", username: "anna_secretary_bot", health: "down", since: at, checkedAt: "2026-11-24T12:05:00.000Z",
    checks: [{ check: "connection", status: "fail", message: "Secretary connection disabled", remediation: "Re-enable it", impact: "down", durationMs: 12.5, latencyMs: 80, at, since: at }],
    observed: { connectionEnabled: false, rights: { can_reply: true }, webhookPendingUpdates: 3 },
  });
  const policy = { failAfter: 1, recoverAfter: 2, repeatIntervalMs: 3_600_000, sendResolved: true };
  const firing = step(undefined, { health: "down", at: new Date(at), muted: false }, policy).state;
  expect(firing.firing).not.toBeNull();
  void store.alerts.put("anna", firing);
  void store.silences.add([
    { id: "s-2", matchers: { team: "ops" }, startsAt: "2026-11-26T00:00:00.000Z", endsAt: "2026-11-27T00:00:00.000Z", reason: "migration" },
    { id: "s-1", matchers: { name: "bob" }, startsAt: at, endsAt: "2026-11-25T00:00:00.000Z", reason: "maintenance", createdBy: "ops-token" },
  ]);
  const message: AlertMessage = {
    key: "anna", scope: "bot", kind: "firing", bot: { name: "anna", username: "anna_secretary_bot", labels: { team: "ops" } },
    severity: "down", health: "down", since: at, at, activeUntil: "2026-11-24T16:00:00.000Z", summary: "anna (@anna_secretary_bot) is down",
    checks: [{ check: "connection", status: "fail", message: "Secretary connection disabled", remediation: "Re-enable it", since: at }],
  };
  void store.outbox.add([
    { id: "o-1", channel: "mail", message, createdAt: at, attempts: 2, nextAttemptAt: Date.parse(at) + 60_000, lastError: "421 try later" },
    { id: "o-2", channel: "telegram", message, createdAt: at, attempts: 0, nextAttemptAt: Date.parse(at) },
  ]);
  await store.close();
  return { box };
}

const bySilenceId = <T extends { silences: { id: string }[] }>(state: T) => ({ ...state, silences: [...state.silences].sort((a, b) => a.id.localeCompare(b.id)) });

describe("the earlier lowdb state file", () => {
  it("when a state file of the current release is read, then every slice comes back as written", async () => {
    const path = join(tempDir(), "state.json");
    await currentReleaseStateFile(path);
    expect(isLegacyStateFile(path)).toBe(true);
    expect(await readLegacyStateFile(path)).toEqual(JSON.parse(readFileSync(path, "utf8")));
  });

  it("when it is imported into the database, then nothing is lost and the sealed token still opens", async () => {
    const dir = tempDir();
    const { box } = await currentReleaseStateFile(join(dir, "state.json"));
    const legacy = (await readLegacyStateFile(join(dir, "state.json")))!;
    const db = SqliteDatabase.open({ path: join(dir, "secretary-watch.db") });
    expect(importLegacyState(db, legacy)).toEqual({ bots: 1, connections: 2, results: 1, alerts: 1, silences: 2, outbox: 2 });
    db.close();
    const reopened = SqliteDatabase.open({ path: join(dir, "secretary-watch.db") });
    const { version: _version, ...slices } = legacy;
    const stored = readState(reopened);
    expect(bySilenceId(stored)).toEqual(bySilenceId(slices));
    expect(stored.outbox.map((e) => e.id)).toEqual(["o-1", "o-2"]);
    expect(box.open(stored.bots.anna!.sealedToken, "anna")).toBe(TOKEN);
    expect(isLegacyStateFile(join(dir, "secretary-watch.db"))).toBe(false);
    reopened.close();
  });

  it("when the import fails half-way, then the database holds none of it", async () => {
    const dir = tempDir();
    await currentReleaseStateFile(join(dir, "state.json"));
    const legacy = (await readLegacyStateFile(join(dir, "state.json")))!;
    legacy.outbox.push({ ...legacy.outbox[0]! }); // the same id twice: the second insert fails
    const db = SqliteDatabase.open({ path: join(dir, "secretary-watch.db") });
    expect(() => importLegacyState(db, legacy)).toThrow(/UNIQUE/);
    expect(readState(db)).toEqual({ bots: {}, connections: {}, results: {}, alerts: {}, silences: [], outbox: [] });
    db.close();
  });

  it("when there is no state file, then there is nothing to import", async () => {
    expect(await readLegacyStateFile(join(tempDir(), "missing.json"))).toBeNull();
  });

  it("when the file is not a state file of the earlier format, then the error names the file and the field", async () => {
    const path = join(tempDir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 1, outbox: [{ id: "x", channel: "mail" }] }));
    await expect(readLegacyStateFile(path)).rejects.toThrow(new RegExp(`^state file ${path}: not a secretary-watch state file of the earlier format: outbox\\.0\\.message: `));
    writeFileSync(path, JSON.stringify({ version: 2 }));
    await expect(readLegacyStateFile(path)).rejects.toThrow(/: version: /);
  });

  it("when the file is not valid JSON, then the error says so without quoting the file", async () => {
    const path = join(tempDir(), "state.json");
    writeFileSync(path, `{"bots": {"anna": {"sealedToken": "v1.secret-looking"`);
    const err = await readLegacyStateFile(path).catch((e: Error) => e);
    expect((err as Error).message).toBe(`state file ${path}: not valid JSON; move it aside to start with an empty database`);
  });
});
