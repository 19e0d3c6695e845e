import type { Health } from "../model.ts";

/** Shields.io's palette: brightgreen, yellow, red, lightgrey. */
export const BADGE_COLORS: Record<Health, string> = {
  healthy: "#44cc11",
  degraded: "#dfb317",
  down: "#e05d44",
  unknown: "#9f9f9f",
};
export const NOT_FOUND_COLOR = "#9f9f9f";
const LABEL_COLOR = "#555555";

/** How a badge is served: an SVG that a README's image proxy re-fetches, and that runs nothing when opened in a tab. */
export const BADGE_HEADERS = {
  "Content-Type": "image/svg+xml; charset=utf-8",
  "Cache-Control": "no-cache",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  "X-Content-Type-Options": "nosniff",
} as const;

/** Verdana 11 px advance widths (what shields.io measures with); other characters count as 7.5. */
const WIDTHS: Record<string, number> = {
  " ": 3.9, "-": 4.7, _: 7, ".": 3.5, ":": 4.7, "/": 4.7, "(": 4.5, ")": 4.5, "@": 11, "'": 2.7, '"': 4.6, "<": 8.6, ">": 8.6, "&": 7.5,
  a: 6.6, b: 6.8, c: 5.7, d: 6.8, e: 6.5, f: 3.8, g: 6.8, h: 6.9, i: 3, j: 3.8, k: 6.4, l: 3, m: 10.6, n: 6.9, o: 6.6,
  p: 6.8, q: 6.8, r: 4.7, s: 5.7, t: 4.3, u: 6.9, v: 6.4, w: 8.9, x: 6.4, y: 6.4, z: 5.7,
};
const DIGIT = 7;
const UPPER = 7.6;

export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDTHS[ch] ?? (/[0-9]/.test(ch) ? DIGIT : /[A-Z]/.test(ch) ? UPPER : 7.5);
  return width;
}

/** XML text: escaped, without the control characters XML 1.0 forbids, one line, at most 64 characters. */
export function badgeText(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = Array.from(value.replace(/[\u0000-\u001f\u007f\ufffe\uffff]/g, " ").replace(/\s+/g, " ").trim()).slice(0, 64).join("");
  return clean;
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Dark text on light backgrounds, white on dark ones (shields.io's rule). */
function textColors(background: string): { fill: string; shadow: string } {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16)) as [number, number, number];
  const brightness = (r * 299 + g * 587 + b * 114) / 255_000;
  return brightness > 0.69 ? { fill: "#333", shadow: "#ccc" } : { fill: "#fff", shadow: "#010101" };
}

/** A shields.io "flat" badge: `label | message`, the message on `color`. */
export function renderBadge(o: { label: string; message: string; color: string }): string {
  if (!/^#[0-9a-f]{6}$/i.test(o.color)) throw new Error(`badge color must be #rrggbb, got ${o.color}`);
  const label = badgeText(o.label);
  const message = badgeText(o.message);
  const lw = Math.round(textWidth(label)) + 10;
  const mw = Math.round(textWidth(message)) + 10;
  const width = lw + mw;
  const text = (value: string, x: number, colors: { fill: string; shadow: string }) => {
    const length = (Math.round(textWidth(value)) * 10).toString();
    const v = escapeXml(value);
    return (
      `<text aria-hidden="true" x="${x * 10}" y="150" fill="${colors.shadow}" fill-opacity=".3" transform="scale(.1)" textLength="${length}">${v}</text>` +
      `<text x="${x * 10}" y="140" transform="scale(.1)" fill="${colors.fill}" textLength="${length}">${v}</text>`
    );
  };
  const title = escapeXml(`${label}: ${message}`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${LABEL_COLOR}"/><rect x="${lw}" width="${mw}" height="20" fill="${o.color}"/><rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(label, lw / 2, textColors(LABEL_COLOR)) +
    text(message, lw + mw / 2, textColors(o.color)) +
    `</g></svg>`
  );
}

/** The badge of a bot's health, e.g. "secretary | healthy" in green. */
export function healthBadge(health: Health, label = "secretary"): string {
  return renderBadge({ label, message: health, color: BADGE_COLORS[health] });
}

/** The badge for a name the monitor does not watch (served with 404). */
export function notFoundBadge(label = "secretary"): string {
  return renderBadge({ label, message: "no such bot", color: NOT_FOUND_COLOR });
}

/**
 * Uptime colours, shields.io's palette on the thresholds uptime monitors draw (Upptime, Uptime Robot's
 * badges): brightgreen from 99.9 %, green from 99 %, yellowgreen from 98 %, yellow from 95 %, orange from
 * 90 %, red below. The first threshold a ratio reaches gives its colour.
 */
export const UPTIME_COLORS: ReadonlyArray<readonly [minimum: number, color: string]> = [
  [0.999, "#44cc11"],
  [0.99, "#97ca00"],
  [0.98, "#a4a61d"],
  [0.95, "#dfb317"],
  [0.9, "#fe7d37"],
  [0, "#e05d44"],
];

/** "99.95%": two decimals, cut rather than rounded (99.999 % is not "100%"); exactly 1 is "100%". */
export function uptimePercent(ratio: number): string {
  if (ratio >= 1) return "100%";
  return `${(Math.floor(ratio * 10_000) / 100).toFixed(2)}%`;
}

/** "uptime 30d | 99.95%" coloured by the ratio; grey "no data" when nothing is known of the window. */
export function uptimeBadge(window: string, ratio: number | null): string {
  const label = `uptime ${window}`;
  if (ratio === null) return renderBadge({ label, message: "no data", color: BADGE_COLORS.unknown });
  const color = UPTIME_COLORS.find(([minimum]) => ratio >= minimum)?.[1] ?? BADGE_COLORS.down;
  return renderBadge({ label, message: uptimePercent(ratio), color });
}
