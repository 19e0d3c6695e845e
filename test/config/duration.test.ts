import { describe, expect, it } from "vitest";
import { z } from "zod";
import { duration, formatDuration, parseDuration } from "../../src/config/duration.ts";

const VALID: [string, number][] = [
  ["500ms", 500],
  ["30s", 30_000],
  ["10m", 600_000],
  ["4h", 14_400_000],
  ["1d", 86_400_000],
  ["1h30m", 5_400_000],
  ["2m30s", 150_000],
  ["1s500ms", 1_500],
  ["0s", 0],
];

const INVALID: unknown[] = ["10 minutes", "10", "", "1.5h", "30S", "10m1h", "1h1h", "m", "-5s", "10ms5s", 600, true, null, ["10m"]];

describe("duration", () => {
  it.each(VALID)("when %s is parsed, then it is %i ms", (text, ms) => {
    expect(duration.parse(text)).toBe(ms);
  });

  it.each(INVALID.map((value) => [value]))("when %j is parsed, then it is refused with an example", (value) => {
    const result = duration.safeParse(value);
    expect(result.success).toBe(false);
    const shown = value === null ? "an empty value" : Array.isArray(value) ? "a list" : typeof value === "string" ? JSON.stringify(value) : String(value);
    expect(result.error?.issues[0]?.message).toBe(`expected a duration such as 30s, 10m or 4h, got ${shown}`);
  });

  it("when a schema uses duration.default(ms) and the key is absent, then the default is the milliseconds", () => {
    const options = z.object({ window: duration.default(600_000) });
    expect(options.parse({})).toEqual({ window: 600_000 });
    expect(options.parse({ window: "1m" })).toEqual({ window: 60_000 });
  });

  it.each(VALID.filter(([, ms]) => ms > 0))("when %s is formatted back, then parseDuration reads the same ms", (_text, ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it("when milliseconds are formatted, then the largest units come first", () => {
    expect([600_000, 5_400_000, 14_400_000, 1_500, 0].map(formatDuration)).toEqual(["10m", "1h30m", "4h", "1s500ms", "0s"]);
  });
});
