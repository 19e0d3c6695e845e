import { describe, expect, it } from "vitest";
import { BADGE_COLORS, UPTIME_COLORS, uptimeBadge, uptimePercent } from "../../src/http/badge.ts";

const colorOf = (svg: string) => /<rect x="\d+" width="\d+" height="20" fill="(#[0-9a-f]{6})"\/>/.exec(svg)![1];

describe("the uptime badge", () => {
  it.each([
    [1, "100%"],
    [0.99999, "99.99%"],
    [0.9995, "99.95%"],
    [0.5, "50.00%"],
    [0.000001, "0.00%"],
    [0, "0.00%"],
  ])("when the ratio is %d, then the percentage reads %s (cut, never rounded up to 100%)", (ratio, text) => {
    expect(uptimePercent(ratio)).toBe(text);
  });

  it.each([
    [1, "#44cc11"],
    [0.999, "#44cc11"],
    [0.9989, "#97ca00"],
    [0.99, "#97ca00"],
    [0.985, "#a4a61d"],
    [0.96, "#dfb317"],
    [0.92, "#fe7d37"],
    [0.5, "#e05d44"],
    [0, "#e05d44"],
  ])("when the ratio is %d, then the message is on %s (shields' palette, uptime monitors' thresholds)", (ratio, color) => {
    expect(colorOf(uptimeBadge("30d", ratio))).toBe(color);
  });

  it("when the thresholds are listed, then they fall from 99.9 % to 0 and every ratio gets a colour", () => {
    const minimums = UPTIME_COLORS.map(([m]) => m);
    expect(minimums).toEqual([...minimums].sort((a, b) => b - a));
    expect(minimums.at(-1)).toBe(0);
  });

  it("when nothing is known of the window, then the badge reads no data in grey, never a percentage", () => {
    const svg = uptimeBadge("7d", null);
    expect(svg).toContain('aria-label="uptime 7d: no data"');
    expect(colorOf(svg)).toBe(BADGE_COLORS.unknown);
  });
});
