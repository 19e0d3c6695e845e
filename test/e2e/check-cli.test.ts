import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.ts";
import { calls, startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";

type Row = Record<string, string>;

// Expected status of each check, per demo bot (SPEC §1); "-" = skipped.
const CHECKS = ["token", "identity", "business-mode", "connection", "rights", "scope", "webhook", "webhook-endpoint", "round-trip"];
// "x" = not in the results (round-trip is disabled for no-inbound in the demo config).
const EXPECTED: Record<string, [health: string, statuses: string]> = {
  anna: ["healthy", "ok ok ok ok ok ok ok ok ok"],
  revoked: ["down", "fail - - - - - - - -"],
  malformed: ["down", "fail - - - - - - - -"],
  impostor: ["down", "ok fail ok ok ok ok ok ok ok"],
  "business-off": ["down", "ok ok fail - - - ok ok -"],
  "no-connection": ["degraded", "ok ok ok warn - - ok ok -"],
  "connection-gone": ["down", "ok ok ok fail - - ok ok -"],
  disabled: ["down", "ok ok ok fail - - ok ok -"],
  "wrong-owner": ["down", "ok ok ok fail - - ok ok -"],
  "no-reply": ["down", "ok ok ok ok fail fail ok ok fail"],
  "no-stars": ["degraded", "ok ok ok ok fail ok ok ok ok"],
  "out-of-scope": ["down", "ok ok ok ok ok fail ok ok fail"],
  "no-inbound": ["degraded", "ok ok ok ok ok warn ok ok x"],
  "webhook-error": ["down", "ok ok ok ok ok ok fail - fail"],
  "old-webhook-error": ["degraded", "ok ok ok ok ok ok ok warn ok"],
  "filtered-updates": ["down", "ok ok ok ok ok ok fail - fail"],
  backlog: ["degraded", "ok ok ok ok ok ok warn - ok"],
  "rate-limited": ["unknown", "unknown - - - - - - - -"],
  flaky: ["unknown", "ok ok ok ok ok ok unknown - ok"],
  hung: ["unknown", "unknown - - - - - - - -"],
  silent: ["down", "ok ok ok ok ok ok ok ok fail"],
};

describe("secretary-watch check --config FILE --json against a Bot API server", () => {
  let fleet: DemoFleet;
  let result: Awaited<ReturnType<typeof cli>>;
  let bots: Map<string, { health: string; checks: Row[] }>;

  beforeAll(async () => {
    fleet = await startDemoFleet({ timeout: "1s" });
    result = await cli(["check", "--config", fleet.configPath, "--json"], fleet.env);
    const view = JSON.parse(result.stdout) as { bots: Array<{ name: string; health: string; checks: Row[] }> };
    bots = new Map(view.bots.map((b) => [b.name, b]));
  }, 60_000);
  afterAll(async () => {
    await fleet.sandbox.close();
  });

  it("when some bots fail, then the exit code is 1", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
  });

  it.each(Object.entries(EXPECTED))("when the bot is %s, then every check has the expected status", (name, [health, statuses]) => {
    const bot = bots.get(name);
    expect(bot, `bot ${name} in the output`).toBeDefined();
    const actual = CHECKS.map((id) => bot!.checks.find((c) => c.check === id)?.status ?? "x")
      .map((s) => (s === "skipped" ? "-" : s))
      .join(" ");
    expect(actual).toBe(statuses);
    expect(bot!.health).toBe(health);
    for (const c of bot!.checks.filter((c) => c.status !== "ok" && c.status !== "skipped")) {
      expect(c.message, `${name}/${c.check} message`).toBeTruthy();
      expect(c.remediation, `${name}/${c.check} remediation`).toBeTruthy();
    }
  });

  it("when the sweep ran, then getMe was called once per bot and getUpdates never", async () => {
    const counted = await calls(fleet.sandbox);
    expect(counted.filter((c) => c.method.toLowerCase() === "getupdates")).toEqual([]);
    for (const c of counted.filter((c) => c.method === "getMe" && c.bot !== null)) expect(c.count).toBe(1);
  });

  it("when a message explains a failure, then it says what was observed", () => {
    const msg = (bot: string, check: string) => bots.get(bot)!.checks.find((c) => c.check === check)!.message;
    expect(msg("revoked", "token")).toContain("401");
    expect(msg("malformed", "token")).toContain("404");
    expect(msg("impostor", "identity")).toMatch(/belongs to @\w+/);
    expect(msg("wrong-owner", "connection")).toContain("wrong Telegram profile");
    expect(msg("no-reply", "rights")).toContain("can_reply");
    expect(msg("no-stars", "rights")).toContain("can_transfer_stars");
    expect(msg("out-of-scope", "scope")).toContain("BUSINESS_PEER_INVALID");
    expect(msg("webhook-error", "webhook")).toContain("502 Bad Gateway");
    expect(msg("filtered-updates", "webhook")).toContain("business_connection");
    expect(msg("silent", "round-trip")).toContain("the Secretary connection looks fine, but no reply came");
    expect(bots.get("anna")!.checks.find((c) => c.check === "round-trip")!.message).toMatch(/^reply in \d+(\.\d)? s$/);
  });

  it("when the output is printed, then no token appears in it", () => {
    for (const secret of ["demo-anna-Xk2v9", "demo-revoked-Qm4t1", "e2e-hung-Qw3e4", "not-a-token"]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });
});

describe("secretary-watch check exit codes", () => {
  let fleet: DemoFleet;
  beforeAll(async () => {
    fleet = await startDemoFleet();
  });
  afterAll(async () => {
    await fleet.sandbox.close();
  });

  it("when the only bot checked is healthy, then the exit code is 0 and a table is printed", async () => {
    const r = await cli(["check", "--config", fleet.configPath, "--bot", "anna"], fleet.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^anna\s+healthy/m);
  });

  it("when the only bot checked is unknown, then the exit code is 3", async () => {
    const r = await cli(["check", "--config", fleet.configPath, "--bot", "rate-limited"], fleet.env);
    expect(r.code).toBe(3);
  });

  it("when --bot names no configured bot, then the exit code is 2 with a message", async () => {
    const r = await cli(["check", "--config", fleet.configPath, "--bot", "nobody"], fleet.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no bot named "nobody"');
  });

  it("when `alerts test` runs, then each channel gets a test notification and the exit code is 0", async () => {
    const r = await cli(["alerts", "test", "--config", fleet.configPath], fleet.env);
    expect(r.stdout).toBe("sent    ops-telegram (telegram)\n");
    expect(r.code).toBe(0);
    const messages = (await (await fetch(`${fleet.sandbox.url}/_sandbox/messages`)).json()) as Array<{ text: string; chatId: number }>;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toContain("TEST");
    expect(messages[0]!.chatId).toBe(-1001234567890);
  });

  it("when `alerts test --channel` names no channel, then the exit code is 2 with a message", async () => {
    const r = await cli(["alerts", "test", "--config", fleet.configPath, "--channel", "pager"], fleet.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no channel named "pager"');
  });

  it("when the config file is invalid, then the exit code is 2 and the key path is named", async () => {
    const bad = join(fleet.dir, "bad.yaml");
    writeFileSync(bad, "telegram: { environment: staging }\nbots: []\n");
    const r = await cli(["check", "--config", bad], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("telegram.environment");
    expect(r.stdout).toBe("");
  });
});
