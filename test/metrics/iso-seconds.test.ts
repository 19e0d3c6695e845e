import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isoSecondsText } from "../../src/metrics/iso-seconds.ts";

/** What the family wrote before: the text of Date.parse's seconds. */
const reference = (iso: string) => `${Date.parse(iso) / 1000}`;

describe("isoSecondsText", () => {
  it("writes every toISOString time as `${Date.parse(iso) / 1000}` does", () => {
    // 1970 to 2200: every millisecond count a result's time can have.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7_258_118_400_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(isoSecondsText(iso)).toBe(reference(iso));
      }),
      { numRuns: 20_000 },
    );
  });

  it("keeps whole seconds and trailing zeros as JavaScript writes them", () => {
    expect(isoSecondsText("2026-12-02T21:51:46.000Z")).toBe("1796248306");
    expect(isoSecondsText("2026-12-02T21:51:46.120Z")).toBe("1796248306.12");
    expect(isoSecondsText("2026-12-02T21:51:46.005Z")).toBe("1796248306.005");
  });

  it("crosses days, months and leap days as Date.parse does, in any order", () => {
    const times = ["2024-02-29T23:59:59.999Z", "2024-03-01T00:00:00.001Z", "2026-12-31T12:00:00.500Z", "2024-02-29T00:00:00.000Z", "2027-01-01T00:00:00.000Z"];
    for (const iso of [...times, ...times.reverse()]) expect(isoSecondsText(iso)).toBe(reference(iso));
  });

  it("leaves any other text to Date.parse (other shapes, fields out of range, before 1970)", () => {
    const others = [
      "2026-12-02T21:51:46Z",
      "2026-12-02T21:51:46.123+01:00",
      "2026-12-02 21:51:46.123Z",
      "2026-11-31T00:00:00.000Z",
      "2026-13-01T00:00:00.000Z",
      "2026-01-01T24:00:00.000Z",
      "2026-01-01T23:60:00.000Z",
      "1969-12-31T23:59:59.999Z",
      "20x6-12-02T21:51:46.123Z",
      "not a time",
      "",
    ];
    for (const iso of others) expect(isoSecondsText(iso)).toBe(reference(iso));
  });
});
