import { z } from "zod";
import { cronExpression, timeZone } from "../config/calendar-fields.ts";
import { DAY, MINUTE, durationBetween } from "../config/duration.ts";
import { expected } from "../config/fields.ts";
import { reportRefusal } from "./report-channels.ts";

const NAME = /^[a-z0-9_-]+$/;

/** One entry of `reports` (README, "Reports"): a digest of `window` on `cron` in `timezone`, to `channels`. */
export const reportSchema = z.strictObject({
  name: z.string().regex(NAME, { error: expected('a name of lowercase letters, digits, "_" and "-"') }).describe("Unique; names the report in messages and the store"),
  // The same calendar fields as maintenance windows: node-cron's validator, the platform's time zones.
  cron: cronExpression.describe("When it is sent: node-cron syntax (5 fields, or 6 with seconds first)"),
  timezone: timeZone.default("UTC").describe("The time zone `cron` is read in"),
  window: durationBetween(60 * MINUTE, 90 * DAY).default(7 * DAY).describe("The period the digest covers, ending when it is sent (1h to 90d)"),
  channels: z.array(z.string().min(1)).min(1).describe("Names of alerts.channels to send it through"),
});

export type ReportConfig = z.output<typeof reportSchema>;

export const reportsSchema = z.array(reportSchema).default([]).describe("Digests sent on a calendar: fleet uptime, incidents, bots still failing, notifications not delivered");

/**
 * What the reports say of the rest of the config: each channel must be one of `alerts.channels` and of
 * a type that takes reports, and names are unique. Paths are from the config's root.
 */
export function reportProblems(reports: readonly ReportConfig[], channels: Readonly<Record<string, { type: string }>>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  reports.forEach((report, i) => {
    if (seen.has(report.name)) problems.push({ path: ["reports", i, "name"], message: `duplicate report name ${JSON.stringify(report.name)}` });
    seen.add(report.name);
    report.channels.forEach((name, j) => {
      const channel = Object.hasOwn(channels, name) ? channels[name] : undefined;
      const known = Object.keys(channels);
      if (!channel) {
        problems.push({ path: ["reports", i, "channels", j], message: `no channel named ${JSON.stringify(name)} under alerts.channels (configured: ${known.length > 0 ? known.join(", ") : "none"})` });
        return;
      }
      const refusal = reportRefusal(channel.type);
      if (refusal) problems.push({ path: ["reports", i, "channels", j], message: `channel ${JSON.stringify(name)} is of type ${channel.type}, which takes no reports: ${refusal}` });
    });
  });
  return problems;
}
