import cron from "node-cron";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CronOccurrences } from "../../src/alerts/cron-occurrences.ts";

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const DAY = 86_400_000;

/** The latest occurrence at or before `at` (looking back a year) and the next after it, as ISO times. */
function around(expression: string, timeZone: string, at: string) {
  const o = new CronOccurrences(expression, timeZone);
  return { latest: iso(o.latestStart(t(at), t(at) - 366 * DAY)), next: iso(o.nextStart(t(at))) };
}

describe("cron occurrences", () => {
  it("when a weekly window is read in Berlin, then it opens at that wall-clock time in winter (+01:00) and in summer (+02:00)", () => {
    expect(around("0 2 * * SUN", "Europe/Berlin", "2026-12-02T12:00:00Z")).toEqual({ latest: "2026-11-29T01:00:00.000Z", next: "2026-12-06T01:00:00.000Z" });
    expect(around("0 2 * * SUN", "Europe/Berlin", "2026-07-01T12:00:00Z")).toEqual({ latest: "2026-06-28T00:00:00.000Z", next: "2026-07-05T00:00:00.000Z" });
  });

  it("when the time is an occurrence itself, then it is the latest (at or before) and not the next (after)", () => {
    expect(around("0 2 * * SUN", "UTC", "2026-11-29T02:00:00Z")).toEqual({ latest: "2026-11-29T02:00:00.000Z", next: "2026-12-06T02:00:00.000Z" });
  });

  it("when 02:30 falls in the hour Berlin skips (29 March 2026), then the occurrence is when the clock jumps, 03:00 summer time", () => {
    expect(around("30 2 * * SUN", "Europe/Berlin", "2026-03-28T12:00:00Z").next).toBe("2026-03-29T01:00:00.000Z");
    expect(around("30 2 * * SUN", "Europe/Berlin", "2026-03-29T01:20:00Z").latest).toBe("2026-03-29T01:00:00.000Z");
    // The week after is a normal summer Sunday.
    expect(around("30 2 * * SUN", "Europe/Berlin", "2026-03-29T01:00:00Z").next).toBe("2026-04-05T00:30:00.000Z");
  });

  it("when 02:30 falls in the hour Berlin repeats (25 October 2026), then it occurs once, the first time (summer time)", () => {
    expect(around("30 2 * * SUN", "Europe/Berlin", "2026-10-24T12:00:00Z").next).toBe("2026-10-25T00:30:00.000Z");
    // During the second 02:30 (winter time) the latest occurrence is still the first one; the next is a week on.
    expect(around("30 2 * * SUN", "Europe/Berlin", "2026-10-25T01:45:00Z")).toEqual({ latest: "2026-10-25T00:30:00.000Z", next: "2026-11-01T01:30:00.000Z" });
  });

  it("when a window is hourly across a clock change, then no wall-clock time is skipped and none counted twice", () => {
    const o = new CronOccurrences("30 * * * *", "America/New_York");
    const starts: string[] = [];
    for (let at = t("2026-11-01T04:00:00Z"); starts.length < 5; ) starts.push(iso((at = o.nextStart(at)!))!);
    // 00:30 EDT, 01:30 EDT (01:30 EST is the same wall time: not again), 02:30 EST, 03:30 EST…
    expect(starts).toEqual(["2026-11-01T04:30:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-01T07:30:00.000Z", "2026-11-01T08:30:00.000Z", "2026-11-01T09:30:00.000Z"]);
  });

  it("when a month has no 31st, then a window on the 31st skips it; L is the last day, 29 February in a leap year", () => {
    expect(around("0 0 31 * *", "UTC", "2026-04-01T00:00:00Z")).toEqual({ latest: "2026-03-31T00:00:00.000Z", next: "2026-05-31T00:00:00.000Z" });
    expect(around("0 0 L * *", "UTC", "2028-02-10T00:00:00Z").next).toBe("2028-02-29T00:00:00.000Z");
    expect(around("0 0 L * *", "UTC", "2027-02-10T00:00:00Z").next).toBe("2027-02-28T00:00:00.000Z");
    expect(around("0 0 29 2 *", "UTC", "2026-06-01T00:00:00Z").next).toBe("2028-02-29T00:00:00.000Z");
  });

  it("when the last day of the month is read in Tokyo, then it is Tokyo's last day (the day before in UTC)", () => {
    expect(around("0 0 L * *", "Asia/Tokyo", "2026-02-01T00:00:00Z").next).toBe("2026-02-27T15:00:00.000Z");
  });

  it("when day of week is 7, then it is Sunday, as 0 and SUN are", () => {
    const at = "2026-12-02T12:00:00Z";
    const sunday = around("0 9 * * 0", "UTC", at);
    expect(sunday.next).toBe("2026-12-06T09:00:00.000Z");
    expect(around("0 9 * * 7", "UTC", at)).toEqual(sunday);
    expect(around("0 9 * * SUN", "UTC", at)).toEqual(sunday);
  });

  it("when the zone is half an hour off UTC (Kolkata), then the wall-clock time is kept", () => {
    expect(around("0 2 * * *", "Asia/Kolkata", "2026-12-02T00:00:00Z").next).toBe("2026-12-02T20:30:00.000Z");
  });

  it("when the expression has seconds, then occurrences fall on them", () => {
    expect(around("*/20 * * * * *", "UTC", "2026-12-02T10:00:05Z")).toEqual({ latest: "2026-12-02T10:00:00.000Z", next: "2026-12-02T10:00:20.000Z" });
  });

  it("when the latest occurrence began before the look-back, then there is none in it", () => {
    const o = new CronOccurrences("0 2 * * SUN", "UTC");
    expect(o.latestStart(t("2026-12-02T12:00:00Z"), t("2026-12-02T12:00:00Z") - 3_600_000)).toBeNull();
  });

  it("when asked from the real clock, then the next occurrence is the one node-cron's own task would run next", () => {
    const patterns = ["0 2 * * SUN", "*/7 * * * *", "15 3 1 * *", "0 0 L * *", "0 9 * * 1#2", "0 18 * * 5L", "0 0 1W * *", "30 4 * * MON-FRI"];
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
      for (const pattern of patterns) {
        const task = cron.createTask(pattern, () => undefined, { timezone: zone });
        const before = Date.now();
        const [theirs] = task.getNextRuns(1);
        const after = Date.now();
        void task.destroy();
        const ours = new CronOccurrences(pattern, zone);
        expect([iso(ours.nextStart(before)), iso(ours.nextStart(after))], `${pattern} in ${zone}`).toContain(theirs!.toISOString());
      }
  });

  it("for any expression, zone and instant, the latest occurrence is at or before it and the next after it, with none in between", () => {
    const field = (max: number) => fc.oneof(fc.constant("*"), fc.integer({ min: 0, max }).map(String), fc.integer({ min: 2, max: 15 }).map((n) => `*/${n}`));
    const expression = fc.tuple(field(59), field(23), fc.oneof(fc.constant("*"), fc.constant("L"), fc.integer({ min: 1, max: 28 }).map(String)), fc.oneof(fc.constant("*"), fc.integer({ min: 0, max: 7 }).map(String)));
    const zone = fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago");
    const instant = fc.integer({ min: t("2025-01-01T00:00:00Z"), max: t("2030-01-01T00:00:00Z") });
    fc.assert(
      fc.property(expression, zone, instant, ([m, h, dom, dow], tz, at) => {
        const o = new CronOccurrences(`${m} ${h} ${dom} * ${dow}`, tz);
        const latest = o.latestStart(at, at - 400 * DAY);
        const next = o.nextStart(at);
        expect(next).not.toBeNull();
        expect(next!).toBeGreaterThan(at);
        if (latest === null) return;
        expect(latest).toBeLessThanOrEqual(at);
        expect(o.nextStart(latest)!).toBeGreaterThan(at); // nothing between the latest and `at`
        expect(o.nextStart(latest - 1000)).toBe(latest); // and the latest is an occurrence
      }),
      { numRuns: 300 },
    );
  });
});
