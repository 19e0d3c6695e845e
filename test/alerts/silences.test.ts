import { describe, expect, it } from "vitest";
import {
  MAINTENANCE_AUTHOR,
  type Silence,
  activeSilences,
  isActive,
  isMuted,
  MAX_SILENCE_MS,
  silenceWindow,
} from "../../src/alerts/silences.ts";
import { maintenanceToSilences } from "../../src/alerts/maintenance-windows.ts";

const anna = { name: "anna", labels: { tier: "vip", region: "eu" } };
const bob = { name: "bob", labels: { tier: "free" } };

const silence = (over: Partial<Silence> = {}): Silence => ({
  id: "s1",
  matchers: {},
  startsAt: "2026-12-01T02:00:00.000Z",
  endsAt: "2026-12-01T04:00:00.000Z",
  reason: "deploy",
  ...over,
});

const at = (iso: string): Date => new Date(iso);

describe("isMuted", () => {
  for (const [name, time, expected] of [
    ["the silence starts at that instant", "2026-12-01T02:00:00.000Z", true],
    ["it is inside the window", "2026-12-01T03:59:59.999Z", true],
    ["the silence ends at that instant", "2026-12-01T04:00:00.000Z", false],
    ["it is before the window", "2026-12-01T01:59:59.999Z", false],
  ] as const) {
    it(`when ${name}, then muted is ${expected}`, () => {
      expect(isMuted(anna, [silence()], at(time))).toBe(expected);
    });
  }

  for (const [name, matchers, annaMuted, bobMuted] of [
    ["the selector is empty", {}, true, true],
    ["the name matcher names anna", { name: "anna" }, true, false],
    ["a label matcher selects tier vip", { tier: "vip" }, true, false],
    ["every matcher must hold and one does not", { tier: "vip", region: "us" }, false, false],
    ["all matchers hold", { tier: "vip", region: "eu" }, true, false],
    ["the matcher is on a label the bot does not have", { team: "a" }, false, false],
    ["a label matcher has an empty value and the bot lacks the label", { region: "" }, false, false],
  ] as const) {
    it(`when ${name}, then anna muted is ${annaMuted} and bob muted is ${bobMuted}`, () => {
      const list = [silence({ matchers })];
      const time = at("2026-12-01T03:00:00Z");
      expect([isMuted(anna, list, time), isMuted(bob, list, time)]).toEqual([annaMuted, bobMuted]);
    });
  }

  it("when the list is empty, then no bot is muted", () => {
    expect(isMuted(anna, [], at("2026-12-01T03:00:00Z"))).toBe(false);
  });

  it("when a silence has an unreadable time, then it never mutes", () => {
    expect(isActive(silence({ startsAt: "soon" }), at("2026-12-01T03:00:00Z"))).toBe(false);
  });
});

describe("activeSilences", () => {
  it("when several silences exist, then only the active ones matching the bot are returned", () => {
    const list = [
      silence({ id: "all" }),
      silence({ id: "bob-only", matchers: { name: "bob" } }),
      silence({ id: "expired", endsAt: "2026-12-01T02:30:00Z" }),
      silence({ id: "vip", matchers: { tier: "vip" } }),
    ];
    expect(activeSilences(anna, list, at("2026-12-01T03:00:00Z")).map((s) => s.id)).toEqual(["all", "vip"]);
  });
});

describe("maintenanceToSilences", () => {
  const windows = [
    { bots: ["anna", "bob"], start: "2026-12-01T02:00:00Z", duration: 2 * 3_600_000, reason: "Telegram DC migration" },
    { bots: ["anna"], start: "2026-12-08T02:00:00+01:00", duration: 30 * 60_000, reason: "" },
  ];

  it("when a window lists two bots, then each bot gets its own silence matching its name over the window", () => {
    const [a, b, c] = maintenanceToSilences(windows);
    expect(a).toMatchObject({
      matchers: { name: "anna" },
      startsAt: "2026-12-01T02:00:00.000Z",
      endsAt: "2026-12-01T04:00:00.000Z",
      reason: "Telegram DC migration",
      createdBy: MAINTENANCE_AUTHOR,
    });
    expect(b).toMatchObject({ matchers: { name: "bob" }, startsAt: "2026-12-01T02:00:00.000Z" });
    expect(c).toMatchObject({ matchers: { name: "anna" }, startsAt: "2026-12-08T01:00:00.000Z", endsAt: "2026-12-08T01:30:00.000Z" });
  });

  it("when a window has no reason, then the silence says it is a maintenance window", () => {
    expect(maintenanceToSilences(windows)[2]?.reason).toBe("maintenance window");
  });

  it("when the same config is converted twice or reordered, then the ids are the same and distinct per silence", () => {
    const ids = maintenanceToSilences(windows).map((s) => s.id);
    const reordered = maintenanceToSilences([...windows].reverse()).map((s) => s.id);
    expect(new Set(ids).size).toBe(3);
    expect([...reordered].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(id).toMatch(/^maintenance-[0-9a-f]{16}$/);
  });

  it("when the same window is listed twice, then it yields one silence", () => {
    expect(maintenanceToSilences([windows[1]!, windows[1]!])).toHaveLength(1);
  });

  it("when a maintenance silence is in force, then only its bot is muted and only inside the window", () => {
    const list = maintenanceToSilences([windows[1]!]);
    expect(isMuted(anna, list, at("2026-12-08T01:15:00Z"))).toBe(true);
    expect(isMuted(bob, list, at("2026-12-08T01:15:00Z"))).toBe(false);
    expect(isMuted(anna, list, at("2026-12-08T01:30:00Z"))).toBe(false);
  });
});

describe("silenceWindow", () => {
  const NOW = Date.parse("2026-12-01T00:00:00.000Z");
  const DAY = 86_400_000;

  it("when the window is sound, then times given are kept as written and a duration ends that long after the start", () => {
    expect(silenceWindow({ durationMs: 2 * 3_600_000 }, NOW)).toEqual({ ok: true, startsAt: "2026-12-01T00:00:00.000Z", endsAt: "2026-12-01T02:00:00.000Z" });
    expect(silenceWindow({ startsAt: "2026-12-02T00:00:00+02:00", endsAt: "2026-12-03T00:00:00Z" }, NOW)).toEqual({
      ok: true,
      startsAt: "2026-12-02T00:00:00+02:00",
      endsAt: "2026-12-03T00:00:00Z",
    });
    expect(silenceWindow({ durationMs: MAX_SILENCE_MS }, NOW).ok).toBe(true);
  });

  for (const [name, input, field, message] of [
    ["the duration has no Date (99999999d)", { durationMs: 99_999_999 * DAY }, "duration", "duration: at most a year (365d)"],
    ["the duration is a year and a day", { durationMs: MAX_SILENCE_MS + DAY }, "duration", "duration: at most a year (365d)"],
    ["the duration is not a number", { durationMs: Number.NaN }, "duration", "duration: must be longer than 0s"],
    ["the duration is zero", { durationMs: 0 }, "duration", "duration: must be longer than 0s"],
    ["start plus duration is past", { startsAt: "2026-11-01T00:00:00Z", durationMs: DAY }, "duration", "duration: the silence would end in the past (startsAt + duration)"],
    ["start plus duration is more than a year ahead", { startsAt: "2027-11-01T00:00:00Z", durationMs: 60 * DAY }, "duration", "duration: the silence must end at most a year (365d) from now"],
    ["the end is not a date", { endsAt: "soon" }, "endsAt", 'endsAt: "soon" is not a valid date'],
    ["the start is not a date", { startsAt: "later", durationMs: DAY }, "startsAt", 'startsAt: "later" is not a valid date'],
    ["the end is past", { endsAt: "2026-11-30T23:59:59Z" }, "endsAt", "endsAt: must be in the future"],
    ["the end is before the start", { startsAt: "2026-12-03T00:00:00Z", endsAt: "2026-12-02T00:00:00Z" }, "endsAt", "endsAt: must be after startsAt"],
    ["the end is more than a year ahead", { endsAt: "2027-12-02T00:00:00Z" }, "endsAt", "endsAt: the silence must end at most a year (365d) from now"],
  ] as const) {
    it(`when ${name}, then the problem names the field ${field}`, () => {
      expect(silenceWindow(input, NOW)).toEqual({ ok: false, field, message });
    });
  }
});
