import type { Config } from "../config/schema.ts";
import { formatDuration } from "../config/duration.ts";

export interface DemoBannerFacts {
  /** Why the demo runs: no config file (and where it looked), or asked for. */
  why: string;
  /** The service, as it listens (http://0.0.0.0:9464 is shown as localhost). */
  serviceUrl: string;
  /** The sandbox, the demo's simulated Bot API (its control API is under /_sandbox). */
  sandboxUrl: string;
  config: Config;
}

/**
 * What the demo prints when it starts, in plain words and not only as a log line: that this is the
 * demo and why, where the page and the sandbox's control API are, and curls that break and mend a bot.
 */
export function demoBanner(facts: DemoBannerFacts): string {
  const page = facts.serviceUrl.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//localhost");
  const sandbox = facts.sandboxUrl;
  const { config } = facts;
  const admin = config.server.adminToken;
  const revoke = (revoked: boolean) =>
    `curl -X PATCH -H 'content-type: application/json' -d '{"revoked": ${revoked}}' ${sandbox}/_sandbox/bots/anna_secretary_bot`;
  const rule = "─".repeat(78);
  const lines = [
    rule,
    `secretary-watch DEMO: ${config.bots.length} simulated bots, one per kind of failure, watched in a simulated Telegram (the sandbox).`,
    `  Why the demo: ${facts.why}.`,
    "",
    `  status page      ${page}/`,
    `  sandbox control  ${sandbox}/_sandbox/world   (README: "The sandbox control API")`,
    ...(admin ? [`  admin API        ${page}/api/v1   bearer token: ${admin}   store.secretKey: ${config.store.secretKey}`] : []),
    "",
    `  Break a bot (revoke anna's token; anna turns down on the page at its next sweep, within ${formatDuration(config.schedule.interval)}):`,
    `    ${revoke(true)}`,
    "  Mend it:",
    `    ${revoke(false)}`,
    ...(admin ? ["  Sweep anna now instead of waiting:", `    curl -X POST -H 'Authorization: Bearer ${admin}' ${page}/api/v1/bots/anna/run`] : []),
    "",
    "  To watch your own bots: write a config (start from config/example.yaml), then",
    "    secretary-watch start --config my.yaml      (or save it as config/secretary-watch.yaml)",
    "  Ctrl-C stops the demo.",
    rule,
  ];
  return `${lines.join("\n")}\n`;
}
