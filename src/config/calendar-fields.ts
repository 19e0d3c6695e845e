import cron from "node-cron";
import { z } from "zod";
import { isTimeZone } from "../alerts/zoned-time.ts";
import { nearest } from "./did-you-mean.ts";
import { describeValue } from "./duration.ts";

/**
 * Config fields for what happens on a calendar: a node-cron expression (node-cron's own validator
 * decides, and its message names the field that is wrong) and an IANA time zone (the platform's tz
 * database decides, with a "did you mean" for a near miss).
 */

export const cronExpression = z
  .string({ error: (iss) => `expected a cron expression such as "0 2 * * SUN", got ${describeValue(iss.input)}` })
  .check((ctx) => {
    const result = cron.validateDetailed(ctx.value);
    if (result.valid) return;
    const why = result.errors.map((e) => e.message).join("; ");
    ctx.issues.push({ code: "custom", input: ctx.value, message: `expected a node-cron expression such as "0 2 * * SUN", got ${JSON.stringify(ctx.value)}: ${why}` });
  })
  .describe('node-cron syntax: [second] minute hour day-of-month month day-of-week, such as "0 2 * * SUN"');

export const timeZone = z
  .string({ error: (iss) => `expected an IANA time zone such as Europe/Berlin, got ${describeValue(iss.input)}` })
  .check((ctx) => {
    if (isTimeZone(ctx.value)) return;
    const guess = nearest(ctx.value, Intl.supportedValuesOf("timeZone"));
    const hint = guess ? `, did you mean ${guess}?` : "";
    ctx.issues.push({ code: "custom", input: ctx.value, message: `unknown time zone ${JSON.stringify(ctx.value)}${hint} (an IANA name such as Europe/Berlin, or UTC)` });
  })
  .describe("IANA time zone, such as Europe/Berlin; default UTC");
