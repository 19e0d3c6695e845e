import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.ts";
import { startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";

describe("secretary-watch check --fail-on, for cron and CI", () => {
  let fleet: DemoFleet;
  const check = (...args: string[]) => cli(["check", "--config", fleet.configPath, ...args], fleet.env);
  beforeAll(async () => {
    fleet = await startDemoFleet();
  });
  afterAll(async () => {
    await fleet.sandbox.close();
  });

  it("when a bot is degraded by a failing check, then --fail-on down exits 0 where plain check exits 1, and --fail-on degraded exits 1", async () => {
    // no-stars: the Stars rights are missing (a fail of degraded impact), so its health is degraded.
    expect((await check("--bot", "no-stars")).code).toBe(1);
    expect((await check("--bot", "no-stars", "--fail-on", "down")).code).toBe(0);
    expect((await check("--bot", "no-stars", "--fail-on", "degraded")).code).toBe(1);
  }, 60_000);

  it("when a bot is degraded by a warning only, then plain check exits 0 and --fail-on degraded exits 1", async () => {
    // backlog: too many pending updates is a warn.
    expect((await check("--bot", "backlog")).code).toBe(0);
    expect((await check("--bot", "backlog", "--fail-on", "degraded")).code).toBe(1);
  }, 60_000);

  it("when a bot is down, then --fail-on down exits 1; when healthy, --fail-on degraded exits 0", async () => {
    expect((await check("--bot", "revoked", "--fail-on", "down")).code).toBe(1);
    expect((await check("--bot", "anna", "--fail-on", "degraded")).code).toBe(0);
  }, 60_000);

  it("when --fail-on names no health level, then the exit code is 2 naming the levels", async () => {
    const r = await check("--fail-on", "sometimes");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--fail-on: expected one of degraded, down, got "sometimes"');
  });
});

describe("secretary-watch config check", () => {
  it("when the config writes durations, then the effective config shows them as written, and defaults in their shortest form", async () => {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-config-check-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      [
        "telegram: { timeout: 1500ms }",
        "schedule: { interval: 90s }",
        "checks: { webhook: { errorWindow: 1h30m } }",
        "bots:",
        '  - { name: anna, token: "123456:AAAA-literal-token", username: anna_bot, owner: { id: 1 }, checks: { webhook: { errorWindow: 30s } } }',
        "",
      ].join("\n"),
    );
    const r = await cli(["config", "check", "--config", file], { SECRETARY_WATCH_CONFIG: "" });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.telegram.timeout).toBe("1500ms");
    expect(shown.schedule.interval).toBe("90s");
    expect(shown.checks.webhook.errorWindow).toBe("1h30m");
    expect(shown.bots[0].checks.webhook.errorWindow).toBe("30s");
    expect(shown.alerts.repeatInterval).toBe("4h");
    expect(shown.checks["round-trip"].timeout).toBe("2m");
    // Numbers that are not durations stay numbers.
    expect(shown.server.port).toBe(9464);
    expect(shown.schedule.concurrency).toBe(32);
  });
});
