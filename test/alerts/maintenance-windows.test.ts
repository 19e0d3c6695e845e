import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MaintenanceSchedule, type MaintenanceWindow } from "../../src/alerts/maintenance-windows.ts";
import { isMuted } from "../../src/alerts/silences.ts";

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const weekly: MaintenanceWindow = { labels: { tier: "vip" }, cron: "0 2 * * SUN", timezone: "Europe/Berlin", duration: HOUR, reason: "weekly deploy" };
const vip = { name: "anna", labels: { tier: "vip" } };
const plain = { name: "bob", labels: {} };

describe("maintenance schedule", () => {
  it("when the monitor starts in the middle of an occurrence, then the window is in effect at once, until the occurrence ends", () => {
    const schedule = new MaintenanceSchedule([weekly]);
    const [window] = schedule.windowsAt(at("2026-11-29T01:30:00Z")); // Sunday 02:30 in Berlin
    expect(window!.current).toEqual({ startsAt: Date.parse("2026-11-29T01:00:00Z"), endsAt: Date.parse("2026-11-29T02:00:00Z") });
    expect(window!.next).toEqual({ startsAt: Date.parse("2026-12-06T01:00:00Z"), endsAt: Date.parse("2026-12-06T02:00:00Z") });
    expect(isMuted(vip, schedule.silencesAt(at("2026-11-29T01:30:00Z")), at("2026-11-29T01:30:00Z"))).toBe(true);
  });

  it("when a window selects by labels, then only bots carrying all of them are muted; with bots too, both must hold", () => {
    const now = at("2026-11-29T01:30:00Z");
    const byLabels = new MaintenanceSchedule([weekly]).silencesAt(now);
    expect(isMuted(vip, byLabels, now)).toBe(true);
    expect(isMuted(plain, byLabels, now)).toBe(false);
    expect(isMuted({ name: "cy", labels: { tier: "free" } }, byLabels, now)).toBe(false);
    const both = new MaintenanceSchedule([{ ...weekly, bots: ["anna", "bob"] }]).silencesAt(now);
    expect(both.map((s) => s.matchers)).toEqual([{ name: "anna", tier: "vip" }, { name: "bob", tier: "vip" }]);
    expect(isMuted(vip, both, now)).toBe(true);
    expect(isMuted({ name: "dora", labels: { tier: "vip" } }, both, now)).toBe(false);
    expect(isMuted(plain, both, now)).toBe(false);
  });

  it("when no occurrence is in effect, then the silence shown is the next one, and nothing is muted", () => {
    const now = at("2026-12-02T12:00:00Z");
    const silences = new MaintenanceSchedule([weekly]).silencesAt(now);
    expect(silences).toMatchObject([{ matchers: { tier: "vip" }, startsAt: "2026-12-06T01:00:00.000Z", endsAt: "2026-12-06T02:00:00.000Z", reason: "weekly deploy" }]);
    expect(isMuted(vip, silences, now)).toBe(false);
  });

  it("when an occurrence ends, then the window is out of effect from that instant (the end is exclusive)", () => {
    const schedule = new MaintenanceSchedule([weekly]);
    expect(schedule.windowsAt(at("2026-11-29T01:59:59.999Z"))[0]!.current).not.toBeNull();
    expect(schedule.windowsAt(at("2026-11-29T02:00:00Z"))[0]!.current).toBeNull();
    // Asked again for an instant before the edge after one past it: still right.
    expect(schedule.windowsAt(at("2026-11-29T01:10:00Z"))[0]!.current).not.toBeNull();
  });

  it("when 02:30 Berlin is skipped on the spring-forward night, then the window opens at 03:00 summer time and lasts its duration", () => {
    const schedule = new MaintenanceSchedule([{ ...weekly, cron: "30 2 * * SUN" }]);
    expect(schedule.windowsAt(at("2026-03-29T01:30:00Z"))[0]!.current).toEqual({ startsAt: Date.parse("2026-03-29T01:00:00Z"), endsAt: Date.parse("2026-03-29T02:00:00Z") });
    expect(schedule.windowsAt(at("2026-03-29T00:59:00Z"))[0]!.current).toBeNull();
  });

  it("when 02:30 Berlin happens twice on the autumn night, then one window opens, at the first, and is over an hour later", () => {
    const schedule = new MaintenanceSchedule([{ ...weekly, cron: "30 2 * * SUN" }]);
    expect(schedule.windowsAt(at("2026-10-25T01:00:00Z"))[0]!.current).toEqual({ startsAt: Date.parse("2026-10-25T00:30:00Z"), endsAt: Date.parse("2026-10-25T01:30:00Z") });
    expect(schedule.windowsAt(at("2026-10-25T01:45:00Z"))[0]!.current).toBeNull(); // the second 02:30 (winter time) opens none
  });

  it("when a one-off window is over, then its silence stays listed as it was and mutes nothing", () => {
    const window: MaintenanceWindow = { bots: ["anna"], start: "2026-12-01T02:00:00Z", duration: 2 * HOUR };
    const later = at("2026-12-02T00:00:00Z");
    const schedule = new MaintenanceSchedule([window]);
    expect(schedule.windowsAt(later)[0]).toMatchObject({ current: null, next: null });
    expect(schedule.silencesAt(later)).toMatchObject([{ matchers: { name: "anna" }, startsAt: "2026-12-01T02:00:00.000Z", endsAt: "2026-12-01T04:00:00.000Z" }]);
    expect(isMuted(vip, schedule.silencesAt(later), later)).toBe(false);
  });

  it("when occurrences follow each other, then each has its own silence id, and a restart computes the same ids", () => {
    const first = new MaintenanceSchedule([weekly]).silencesAt(at("2026-11-29T01:30:00Z"))[0]!.id;
    const again = new MaintenanceSchedule([weekly]).silencesAt(at("2026-11-29T01:45:00Z"))[0]!.id;
    const nextWeek = new MaintenanceSchedule([weekly]).silencesAt(at("2026-12-06T01:30:00Z"))[0]!.id;
    expect(again).toBe(first);
    expect(nextWeek).not.toBe(first);
    expect(first).toMatch(/^maintenance-[0-9a-f]{16}$/);
  });

  it("when instants are asked in any order, then each answer is what a fresh schedule says (the kept answer never goes stale)", () => {
    const windows: MaintenanceWindow[] = [
      { ...weekly, cron: "*/20 * * * *", duration: 7 * 60_000 },
      { bots: ["anna"], cron: "30 2 * * SUN", timezone: "Europe/Berlin", duration: 25 * 60_000 },
      { bots: ["bob"], start: "2026-10-25T00:40:00Z", duration: 11 * 60_000 },
    ];
    const shared = new MaintenanceSchedule(windows);
    const around = fc.integer({ min: Date.parse("2026-10-24T23:00:00Z"), max: Date.parse("2026-10-25T03:00:00Z") });
    fc.assert(
      fc.property(fc.array(around, { minLength: 1, maxLength: 30 }), (instants) => {
        for (const t of instants) expect(shared.windowsAt(new Date(t))).toEqual(new MaintenanceSchedule(windows).windowsAt(new Date(t)));
      }),
      { numRuns: 100 },
    );
  });
});
