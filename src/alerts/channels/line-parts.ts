/**
 * The parts a notification's lines are made of, shared by render.ts (alerts) and the reports' digest
 * (reports/render-digest.ts), which render.ts renders in turn: a leaf module, so neither imports the other's.
 */

export type Span = { text: string; style?: "b" | "i" | "code" } | { text: string; href: string };
export type Line = Span[];

/** `2026-03-01 10:00 UTC`; the raw value when it is not a time. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `45s`, `25m`, `3h 5m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
