/** The Prometheus alert rules, checked and unit-tested by Debian's promtool. */
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { prometheusBinaries, promtool } from "../support/prometheus.ts";
import { RULES_FILE, RULES_TEST_FILE } from "./dashboard.ts";

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }>;
}

const rules = (YAML.parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const unitTests = YAML.parse(readFileSync(RULES_TEST_FILE, "utf8")) as {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test: AlertTest[] }>;
};

describe("the Prometheus alert rules", () => {
  // Installs Debian's prometheus package when missing (a download on a fresh machine).
  beforeAll(() => void prometheusBinaries(), 300_000);

  it("when promtool checks the rule file, then it finds every rule valid", () => {
    const r = promtool(["check", "rules", RULES_FILE]);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it("when promtool runs the rules' unit tests, then every test passes", () => {
    expect(unitTests.rule_files).toEqual([basename(RULES_FILE)]);
    const r = promtool(["test", "rules", basename(RULES_TEST_FILE)], { cwd: dirname(RULES_TEST_FILE) });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.stdout + r.stderr).not.toContain("FAILED");
    expect(r.status).toBe(0);
  });

  it("when the unit tests are read, then each alert is shown both firing, with its labels and text, and staying quiet", () => {
    const cases = unitTests.tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of rules) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(own.some((c) => c.exp_alerts.length === 0), `${alert}: no case where it must not fire`).toBe(true);
      const firing = own.flatMap((c) => c.exp_alerts);
      expect(firing.length, `${alert}: no case where it fires`).toBeGreaterThan(0);
      // Every expected alert pins its annotations, so the templates are tested too.
      for (const a of firing) expect(Object.keys(a.exp_annotations ?? {}).sort(), alert).toEqual(["description", "summary"]);
    }
  });

  it("when the rules are read, then the issue's alerts are all there, each with a severity, a summary and a description, and alerts stay apart per instance", () => {
    const names = rules.map((r) => r.alert);
    for (const required of [
      "SecretaryBotDown",
      "SecretaryBotDegradedForLong",
      "SecretaryMonitorStale",
      "SecretaryTelegramApiErrors",
      "SecretaryNotificationsFailing",
      "SecretaryNotificationOutboxGrowing",
    ])
      expect(names).toContain(required);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(["critical", "warning"], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      // Nothing to edit: no rule names a job, an instance or a bot.
      expect(r.expr, r.alert).not.toMatch(/\b(job|instance|bot)\s*=~?\s*"/);
    }
    // Stale means "no sweep recorded lately", read from the last-run timestamps.
    expect(rules.find((r) => r.alert === "SecretaryMonitorStale")!.expr).toContain("secretary_check_last_run_timestamp_seconds");
    // Every alert the unit tests expect keeps job and instance: several instances never merge into one alert.
    for (const a of unitTests.tests.flatMap((t) => t.alert_rule_test).flatMap((c) => c.exp_alerts))
      expect(Object.keys(a.exp_labels)).toEqual(expect.arrayContaining(["job", "instance", "severity"]));
  });
});
