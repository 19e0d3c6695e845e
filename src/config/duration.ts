import { z } from "zod";

/**
 * Durations as people write them in YAML: `500ms`, `30s`, `10m`, `4h`, `1d`, `1h30m` (units largest
 * first, each at most once, whole numbers). Parsed to milliseconds. Bare numbers are refused: `600`
 * could mean seconds or milliseconds, so the unit is always written out.
 */

const UNITS_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Milliseconds, for bounds and defaults written in code. */
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const DAY = 24 * 60 * MINUTE;

/** `(?=.)` refuses the empty string; `m(?!s)` keeps `10ms` from being read as `10m` + `s`. */
export const DURATION_PATTERN = /^(?=.)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

const EXPECTED = "expected a duration such as 30s, 10m or 4h";

/** A value as the user wrote it, for "got …" in messages: strings quoted, YAML's null as "an empty value". */
export function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const [, d, h, m, s, ms] = match;
  return (
    Number(d ?? 0) * UNITS_MS.d + Number(h ?? 0) * UNITS_MS.h + Number(m ?? 0) * UNITS_MS.m + Number(s ?? 0) * UNITS_MS.s + Number(ms ?? 0)
  );
}

/** The shortest string `parseDuration` reads back as `ms`: 600000 → `10m`, 5400000 → `1h30m`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of Object.entries(UNITS_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

// A missing key (input undefined) falls through to the caller's message ("missing required key").
const message = (iss: { input?: unknown }) => (iss.input === undefined ? undefined : `${EXPECTED}, got ${describeValue(iss.input)}`);

/** Accepts `500ms`, `30s`, `10m`, `4h`, `1d`, `1h30m`; outputs milliseconds. `.default()` takes milliseconds. */
export const duration = z
  .string({ error: message })
  .regex(DURATION_PATTERN, { error: message })
  .transform((text) => parseDuration(text) ?? 0);

/**
 * A duration bounded to what it means, `minMs` to `maxMs` inclusive. Every duration the service
 * waits on has an upper bound: past 2³¹ ms `setTimeout` fires after 1 ms instead (a 30-day timeout
 * times every call out at once). The message names both bounds; the loader prefixes the key.
 */
export function durationBetween(minMs: number, maxMs: number) {
  const range = `expected a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`;
  return duration.refine((ms) => ms >= minMs && ms <= maxMs, {
    error: (iss) => `${range}, got ${typeof iss.input === "number" ? formatDuration(iss.input) : describeValue(iss.input)}`,
  });
}
