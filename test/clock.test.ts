import { describe, expect, it } from "vitest";
import { MAX_TIMER_MS, timerDelay } from "../src/clock.ts";

describe("timerDelay", () => {
  it("when a delay is longer than setTimeout takes, then it is cut to 2^31 - 1 ms instead of firing after 1 ms", () => {
    expect(timerDelay(3_000_000_000)).toBe(MAX_TIMER_MS);
    expect(timerDelay(Infinity)).toBe(MAX_TIMER_MS);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it("when a delay is negative or not a number, then the timer fires at once", () => {
    expect(timerDelay(-5)).toBe(0);
    expect(timerDelay(Number.NaN)).toBe(0);
    expect(timerDelay(250)).toBe(250);
  });
});
