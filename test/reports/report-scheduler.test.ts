import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutboxEntry } from "../../src/alerts/outbox.ts";
import type { Channel } from "../../src/alerts/types.ts";
import { createLogger } from "../../src/log.ts";
import type { ReportConfig } from "../../src/reports/report-config.ts";
import { ReportScheduler } from "../../src/reports/report-scheduler.ts";
import type { ReportRuns } from "../../src/store/report-runs.ts";
import { SqliteDatabase } from "../../src/store/sqlite/database.ts";
import { SqliteHistoryStore } from "../../src/store/sqlite/history-store.ts";
import { sqliteReportRuns } from "../../src/store/sqlite/report-runs.ts";
import { LogSink, until } from "../support/service-harness.ts";

const DAY = 86_400_000;
const channel = (name: string, type: string): Channel => ({ name, type, audience: type === "owner" ? "owner" : "operators", accepts: () => true, send: async () => undefined });
const CHANNELS = [channel("ops-mail", "email"), channel("pager", "pagerduty")];
const WEEKLY: ReportConfig = { name: "weekly", cron: "0 9 * * MON", timezone: "Europe/Berlin", window: 7 * DAY, channels: ["ops-mail"] };

/** The weekday and time `ms` shows in `zone`: `Mon 09:00`. */
const localTime = (ms: number, zone: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ms).replace(",", "");

describe("the report scheduler on a real database", () => {
  let dir: string;
  let db: SqliteDatabase;
  let runs: ReportRuns;
  let queued: OutboxEntry[];
  let logs: LogSink;
  const schedulers: ReportScheduler[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "report-scheduler-"));
    db = SqliteDatabase.open({ path: join(dir, "watch.db") });
    runs = sqliteReportRuns(db);
    queued = [];
    logs = new LogSink();
  });

  afterEach(() => {
    schedulers.splice(0).forEach((s) => s.stop());
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function scheduler(reports: ReportConfig[], o: { runs?: ReportRuns; owns?: () => boolean; retryMs?: number } = {}): ReportScheduler {
    const history = new SqliteHistoryStore(db, () => undefined);
    const s = new ReportScheduler({
      reports,
      runs: o.runs ?? runs,
      history,
      channels: CHANNELS,
      outbox: { add: async (entries) => void queued.push(...entries) },
      failing: () => [],
      logger: createLogger({ level: "debug", destination: logs }),
      ...(o.owns && { owns: o.owns }),
      ...(o.retryMs !== undefined && { retryMs: o.retryMs }),
    });
    schedulers.push(s);
    return s;
  }

  it("when a report is met for the first time, then nothing is sent and its next occurrence is planned in its own time zone", async () => {
    const s = scheduler([WEEKLY]);
    s.start();
    const run = await until("the report planned", () => runs.get("weekly"), 5_000);
    expect(run.schedule).toBe("0 9 * * MON Europe/Berlin");
    expect(run.lastSentAt).toBeNull();
    expect(localTime(run.nextDueAt, "Europe/Berlin")).toBe("Mon 09:00");
    expect(run.nextDueAt - Date.now()).toBeGreaterThan(0);
    expect(run.nextDueAt - Date.now()).toBeLessThanOrEqual(7 * DAY);
    expect(queued).toEqual([]);
  });

  it("when an occurrence was owed since before the start, then one report is queued for its channels that take reports, and the next one planned", async () => {
    await runs.plan("weekly", { schedule: "0 9 * * MON Europe/Berlin", lastSentAt: null, nextDueAt: Date.now() - 15 * DAY });
    const s = scheduler([{ ...WEEKLY, channels: ["ops-mail", "pager"] }]);
    s.start();
    await until("the report queued", () => (queued.length > 0 ? true : undefined), 5_000);
    expect(queued.map((e) => [e.channel, e.message.kind, e.message.key])).toEqual([["ops-mail", "report", "report/weekly"]]);
    const run = (await runs.get("weekly"))!;
    expect(run.lastSentAt).toBeGreaterThan(Date.now() - 5_000);
    expect(localTime(run.nextDueAt, "Europe/Berlin")).toBe("Mon 09:00");
    // A second catch-up (a replica taking the monitor's shard over) owes nothing now.
    await s.run(WEEKLY, "start");
    expect(queued).toHaveLength(1);
  });

  it("when the cron changed while the monitor was down, then the report is planned afresh, not sent for the old schedule", async () => {
    await runs.plan("weekly", { schedule: "0 9 * * MON Europe/Berlin", lastSentAt: 1, nextDueAt: Date.now() - DAY });
    const s = scheduler([{ ...WEEKLY, cron: "30 7 * * *" }]);
    s.start();
    await until("the new schedule planned", async () => ((await runs.get("weekly"))?.schedule === "30 7 * * * Europe/Berlin" ? true : undefined), 5_000);
    expect(localTime((await runs.get("weekly"))!.nextDueAt, "Europe/Berlin")).toMatch(/^\w{3} 07:30$/);
    expect((await runs.get("weekly"))!.lastSentAt).toBe(1);
    expect(queued).toEqual([]);
  });

  it("when this replica does not hold the monitor's shard, then it neither plans nor sends", async () => {
    await runs.plan("weekly", { schedule: "0 9 * * MON Europe/Berlin", lastSentAt: null, nextDueAt: Date.now() - DAY });
    const s = scheduler([WEEKLY], { owns: () => false });
    s.start();
    await s.run(WEEKLY, "start");
    expect(queued).toEqual([]);
    expect((await runs.get("weekly"))!.lastSentAt).toBeNull();
  });

  it("when the store cannot be read, then the failure is logged and the report is tried again until it goes out", async () => {
    await runs.plan("weekly", { schedule: "0 9 * * MON Europe/Berlin", lastSentAt: null, nextDueAt: Date.now() - DAY });
    let failures = 2;
    const flaky: ReportRuns = { ...runs, get: (name) => (failures-- > 0 ? Promise.reject(new Error("database is locked")) : runs.get(name)) };
    const s = scheduler([WEEKLY], { runs: flaky, retryMs: 50 });
    s.start();
    await until("the report queued after the retries", () => (queued.length > 0 ? true : undefined), 5_000);
    expect(queued).toHaveLength(1);
    expect(logs.text.match(/report not sent: the store could not be read or written; will retry/g)).toHaveLength(2);
  });
});
