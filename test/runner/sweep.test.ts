import { z } from "zod";
import { describe, expect, it } from "vitest";
import { defineCheck, fail, ok, type CheckDefinition } from "../../src/runner/define-check.ts";
import { runOwnCheck, runSweep } from "../../src/runner/sweep.ts";
import { TelegramError } from "../../src/telegram/errors.ts";
import type { BotClient } from "../../src/telegram/client.ts";
import type { MonitoredBot } from "../../src/model.ts";

const bot: MonitoredBot = { name: "anna", token: "1:x", username: "anna_bot", ownerId: 1, probeChats: [], labels: {}, checks: {} };
const noClient = {} as BotClient;
const check = (id: string, dependsOn: string[], run: CheckDefinition["run"]) =>
  defineCheck({ id, title: id, dependsOn, impact: "down", options: z.object({}).strict(), run });

describe("runSweep", () => {
  it("when a prerequisite fails, then its dependants are skipped and independent checks still run", async () => {
    const checks = [
      check("a", [], async () => fail("broken", "fix it")),
      check("b", ["a"], async () => ok()),
      check("c", [], async () => ok()),
    ];
    const status = await runSweep({ bot, checks, client: noClient });
    expect(status.checks.map((c) => [c.check, c.status])).toEqual([
      ["a", "fail"],
      ["b", "skipped"],
      ["c", "ok"],
    ]);
    expect(status.checks[1]!.message).toBe("skipped: a did not pass");
    expect(status.health).toBe("down");
  });

  it("when a check throws an unreachable TelegramError, then it is unknown, never fail", async () => {
    const checks = [check("a", [], async () => Promise.reject(new TelegramError("getMe", "unreachable", "5xx", "HTTP 502")))];
    const status = await runSweep({ bot, checks, client: noClient });
    expect(status.checks[0]).toMatchObject({ status: "unknown", message: "getMe: HTTP 502" });
    expect(status.health).toBe("unknown");
  });

  it("when a check throws a refusal it did not handle, then it fails with Telegram's description", async () => {
    const checks = [check("a", [], async () => Promise.reject(new TelegramError("getMe", "refused", "400", "Bad Request: odd")))];
    const status = await runSweep({ bot, checks, client: noClient });
    expect(status.checks[0]).toMatchObject({ status: "fail", impact: "down", message: "Telegram refused getMe: Bad Request: odd" });
  });

  it("when a check crashes with a bug, then it is unknown and the sweep completes", async () => {
    const checks = [check("a", [], async () => Promise.reject(new Error("undefined is not a function"))), check("b", [], async () => ok())];
    const status = await runSweep({ bot, checks, client: noClient });
    expect(status.checks.map((c) => c.status)).toEqual(["unknown", "ok"]);
  });

  it("when a status does not change between sweeps, then its since is kept; when it changes, since moves", async () => {
    let verdict = ok();
    const checks = [check("a", [], async () => verdict)];
    let t = Date.parse("2026-11-24T00:00:00Z");
    const clock = () => new Date((t += 1000));
    const first = await runSweep({ bot, checks, client: noClient, clock });
    const second = await runSweep({ bot, checks, client: noClient, previous: first, clock });
    expect(second.checks[0]!.since).toBe(first.checks[0]!.since);
    expect(second.since).toBe(first.since);
    verdict = fail("x", "y");
    const third = await runSweep({ bot, checks, client: noClient, previous: second, clock });
    expect(third.checks[0]!.since).toBe(third.checks[0]!.at);
    expect(third.since).not.toBe(first.since);
  });

  it("when a check is disabled in its options, then it is left out of the results", async () => {
    const checks = [check("a", [], async () => ok()), check("b", [], async () => fail("x", "y"))];
    const status = await runSweep({ bot: { ...bot, checks: { b: { enabled: false } } }, checks, client: noClient });
    expect(status.checks.map((c) => c.check)).toEqual(["a"]);
    expect(status.health).toBe("healthy");
  });

  it("when a check has its own interval, then sweeps carry its last result and skip it once a prerequisite fails", async () => {
    let runs = 0;
    let prerequisite = ok();
    const own = { ...check("own", ["a"], async () => (runs++, fail("no reply", "look at the backend"))), ownInterval: () => 60_000 };
    const checks = [check("a", [], async () => prerequisite), own];
    const first = await runSweep({ bot, checks, client: noClient });
    expect(first.checks.map((c) => c.check)).toEqual(["a"]); // not run yet: nothing to carry
    const withOwn = await runOwnCheck({ bot, checks, client: noClient, check: own, status: first });
    expect(runs).toBe(1);
    expect(withOwn.health).toBe("down");
    const carried = await runSweep({ bot, checks, client: noClient, previous: withOwn });
    expect(runs).toBe(1);
    expect(carried.checks.find((c) => c.check === "own")).toEqual(withOwn.checks.find((c) => c.check === "own"));
    expect(carried.health).toBe("down");
    prerequisite = fail("broken", "fix");
    const skipped = await runSweep({ bot, checks, client: noClient, previous: carried });
    expect(skipped.checks.find((c) => c.check === "own")?.status).toBe("skipped");
    const oneShot = await runSweep({ bot, checks: [check("a", [], async () => ok()), own], client: noClient, includeOwnSchedule: true });
    expect(runs).toBe(2);
    expect(oneShot.checks.map((c) => c.check)).toEqual(["a", "own"]);
  });
});
