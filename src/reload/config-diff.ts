import { createHash } from "node:crypto";
import { maskConfig, resolveBots } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { CheckRegistry } from "../runner/define-check.ts";
import { restartOnly } from "./restart-only.ts";

/**
 * What a reload compares: the config without its bots (the service keeps no more) and, per file bot, a
 * fingerprint of what the bot resolves to (its entry with the check defaults applied): a change of
 * `checks` defaults changes exactly the bots whose resolved options it changes.
 */
export interface ConfigSnapshot {
  settings: Config;
  bots: ReadonlyMap<string, string>;
}

/** The parts of the config a reload applies live, each compared as a whole. */
export const LIVE_SECTIONS = {
  "alerts.channels": (c: Config) => c.alerts.channels,
  "alerts.policy": (c: Config) => [c.alerts.failAfter, c.alerts.recoverAfter, c.alerts.repeatInterval, c.alerts.sendResolved],
  "alerts.maintenance": (c: Config) => c.alerts.maintenance,
  reports: (c: Config) => c.reports,
  checks: (c: Config) => c.checks,
  "schedule.interval": (c: Config) => c.schedule.interval,
  "schedule.concurrency": (c: Config) => c.schedule.concurrency,
  "server.publicUrl": (c: Config) => c.server.publicUrl,
  // Who may use the API and the page: the tokens and users together, as Access swaps them.
  "server.access": (c: Config) => [c.server.adminToken, c.server.adminTokens, c.server.auth, c.server.metricsToken],
} as const;

export type LiveSection = keyof typeof LIVE_SECTIONS;

export interface ConfigChanges {
  bots: { added: string[]; removed: string[]; changed: string[] };
  sections: LiveSection[];
  /** One line per restart-only key that differs, naming it, its old and new value (secrets masked). */
  refused: string[];
}

export function snapshot(config: Config, checks?: CheckRegistry): ConfigSnapshot {
  const bots = new Map<string, string>();
  for (const bot of resolveBots(config, checks)) bots.set(bot.name, createHash("sha256").update(JSON.stringify(bot)).digest("base64"));
  return { settings: { ...config, bots: [] }, bots };
}

/** What differs from `old` to `next`: a pure function of the two (README, "Reload"). */
export function configDiff(old: ConfigSnapshot, next: ConfigSnapshot): ConfigChanges {
  const added = [...next.bots.keys()].filter((name) => !old.bots.has(name));
  const removed = [...old.bots.keys()].filter((name) => !next.bots.has(name));
  const changed = [...next.bots].filter(([name, print]) => old.bots.has(name) && old.bots.get(name) !== print).map(([name]) => name);
  const sections = (Object.keys(LIVE_SECTIONS) as LiveSection[]).filter(
    (key) => JSON.stringify(LIVE_SECTIONS[key](old.settings)) !== JSON.stringify(LIVE_SECTIONS[key](next.settings)),
  );
  return { bots: { added, removed, changed }, sections, refused: refusals(old.settings, next.settings) };
}

/** Whether the diff changes anything. */
export function isEmpty(changes: ConfigChanges): boolean {
  const { added, removed, changed } = changes.bots;
  return added.length + removed.length + changed.length + changes.sections.length + changes.refused.length === 0;
}

/** "100 bots added, alerts.channels changed", for the log and the audit line. */
export function summarize(changes: ConfigChanges): string {
  const counts = (["added", "removed", "changed"] as const)
    .filter((kind) => changes.bots[kind].length > 0)
    .map((kind) => `${changes.bots[kind].length} bot${changes.bots[kind].length === 1 ? "" : "s"} ${kind}`);
  const parts = [...counts, ...changes.sections.filter((s) => s !== "checks").map((s) => `${s} changed`)];
  return parts.length > 0 ? parts.join(", ") : "nothing changed";
}

function refusals(old: Config, next: Config): string[] {
  // Compared as they are (a changed secret is a change), shown masked (a secret is never printed).
  const [before, after] = [leaves(old), leaves(next)];
  const [shownBefore, shownAfter] = [leaves(maskConfig({ ...old, bots: [] })), leaves(maskConfig({ ...next, bots: [] }))];
  const out: string[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    if (!restartOnly(path) || before.get(path) === after.get(path)) continue;
    out.push(`${path}: cannot change without a restart (was ${shownBefore.get(path) ?? "unset"}, now ${shownAfter.get(path) ?? "unset"})`);
  }
  return out;
}

/** Every leaf of `value` by its key path ("store.path"), arrays as one leaf, values as JSON text. */
function leaves(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, prefix ? `${prefix}.${key}` : key, out);
  } else out.set(prefix, typeof value === "string" ? value : JSON.stringify(value));
  return out;
}
