/**
 * A check that exists only in tests: one module, registered by passing `[...CHECKS, throwaway]` to
 * the service. It answers what its options tell it to (after `token` passed) and feeds a counter of
 * its own, so a test can see that a plug-in is configured, swept, exported and shown without any
 * other file knowing it.
 */
import { Counter } from "prom-client";
import { z } from "zod";
import { defineCheck, ok, warn } from "../../src/runner/define-check.ts";

export const THROWAWAY_RUNS = "secretary_throwaway_runs_total";

export const throwaway = defineCheck({
  id: "throwaway",
  title: "A plug-in that says what it is told",
  dependsOn: ["token"],
  impact: "degraded",
  options: z
    .object({
      answer: z.enum(["ok", "warn"]).default("ok"),
      note: z.string().default("nothing to note"),
    })
    .strict(),
  metrics(registers) {
    const runs = new Counter({ name: THROWAWAY_RUNS, help: "Throwaway check runs, by the answer its options gave.", labelNames: ["bot", "answer"], registers });
    return {
      observe(bot, _result, options) {
        runs.inc({ bot: bot.name, answer: options.answer });
      },
    };
  },
  async run({ telegram }, { answer, note }) {
    const me = await telegram.getMe();
    return answer === "warn" ? warn(`told to warn: ${note} (bot id ${me.id})`, "nothing to do: a test plug-in") : ok(`told to pass: ${note}`);
  },
});
