/** The Prometheus alert and recording rules, checked and unit-tested by Debian's promtool. */
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { prometheusBinaries, promtool } from "../support/prometheus.ts";
import { RULES_FILE, RULES_HOURLY_TEST_FILE, RULES_TEST_FILE } from "./dashboard.ts";

interface Rule {
  alert?: string;
  record?: string;
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

interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: Array<{ labels: string; value: number }>;
}

interface UnitTests {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: AlertTest[]; promql_expr_test?: ExprTest[] }>;
}

const ruleFile = YAML.parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ name: string; interval?: string; rules: Rule[] }> };
const rules = ruleFile.groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const records = rules.filter((r): r is Rule & { record: string } => r.record !== undefined);
const testFiles = [RULES_TEST_FILE, RULES_HOURLY_TEST_FILE];
const unitTests = testFiles.map((f) => YAML.parse(readFileSync(f, "utf8")) as UnitTests);
const allTests = unitTests.flatMap((u) => u.tests);

/** Each range selector of `expr`: the metric or recorded series it reads and the range, in seconds. */
function ranges(expr: string): Array<{ series: string; seconds: number }> {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  return [...expr.matchAll(/([a-z_:][\w:]*)(?:\{[^}]*\})?\[(\d+)([smhd])\]/g)].map((m) => ({ series: m[1]!, seconds: Number(m[2]) * unit[m[3]!]! }));
}

describe("the Prometheus rules", () => {
  // Installs Debian's prometheus package when missing (a download on a fresh machine).
  beforeAll(() => void prometheusBinaries(), 300_000);

  it("when promtool checks the rule file, then it finds every rule valid", () => {
    const r = promtool(["check", "rules", RULES_FILE]);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it("when promtool runs the rules' unit tests, then every test passes", () => {
    for (const u of unitTests) expect(u.rule_files).toEqual([basename(RULES_FILE)]);
    for (const f of testFiles) expect(dirname(f)).toBe(dirname(RULES_FILE));
    const r = promtool(["test", "rules", ...testFiles.map((f) => basename(f))], { cwd: dirname(RULES_FILE) });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.stdout + r.stderr).not.toContain("FAILED");
    expect(r.status).toBe(0);
  });

  it("when the unit tests are read, then each alert is shown both firing, with its labels and text, and staying quiet", () => {
    const cases = allTests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(own.some((c) => c.exp_alerts.length === 0), `${alert}: no case where it must not fire`).toBe(true);
      const firing = own.flatMap((c) => c.exp_alerts);
      expect(firing.length, `${alert}: no case where it fires`).toBeGreaterThan(0);
      // Every expected alert pins its annotations, so the templates are tested too.
      for (const a of firing) expect(Object.keys(a.exp_annotations ?? {}).sort(), alert).toEqual(["description", "summary"]);
    }
  });

  it("when the rules are read, then the issue's alerts are all there, each with a severity, a summary and a description, and alerts stay apart per instance", () => {
    const names = alerts.map((r) => r.alert);
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
    for (const r of alerts) {
      expect(["critical", "warning"], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
    // Nothing to edit: no rule names a job, an instance or a bot.
    for (const r of rules) expect(r.expr, r.alert ?? r.record).not.toMatch(/\b(job|instance|bot)\s*=~?\s*"/);
    // Stale means "no sweep recorded lately", read from the last-run timestamps.
    expect(alerts.find((r) => r.alert === "SecretaryMonitorStale")!.expr).toContain("secretary_check_last_run_timestamp_seconds");
    // Every alert the unit tests expect keeps job and instance: several instances never merge into one alert.
    for (const a of allTests.flatMap((t) => t.alert_rule_test ?? []).flatMap((c) => c.exp_alerts))
      expect(Object.keys(a.exp_labels)).toEqual(expect.arrayContaining(["job", "instance", "severity"]));
  });

  it("when the recording rules are read, then the uptime ratios are there, in the secretary: namespace, each recorded series unit-tested", () => {
    const names = records.map((r) => r.record);
    expect(names).toEqual(expect.arrayContaining(["secretary:bot_up:ratio_1d", "secretary:bot_up:ratio_7d", "secretary:bot_up:ratio_30d"]));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^secretary:[a-z_]+:[a-z0-9_]+$/);
      // Shown by value in a unit test (queried directly, or through label_replace).
      expect(allTests.flatMap((t) => t.promql_expr_test ?? []).some((c) => c.expr.includes(name) && c.exp_samples.length > 0), `${name}: no unit test`).toBe(true);
    }
    // Each ratio keeps `bot` (and `job`), and nothing else: per bot across instances, shards and pod restarts.
    for (const r of records.filter((r) => r.record.startsWith("secretary:bot_up:"))) expect(r.expr, r.record).toMatch(/^(sum by \(job, bot\) [^\n]+\n?)+$/m);
    const ratios = allTests.flatMap((t) => t.promql_expr_test ?? []).flatMap((c) => c.exp_samples).filter((s) => s.labels.startsWith("secretary:bot_up:"));
    for (const s of ratios) {
      expect(s.labels).toMatch(/^secretary:bot_up:ratio_\w+\{job="[^"]+", bot="[^"]+"\}$/);
      expect(s.value >= 0 && s.value <= 1, s.labels).toBe(true);
    }
  });

  it("when the recording rules' ranges are read, then none reads more than a minute of raw samples or a day of minute tiles, and tiles are recorded as often as they are long", () => {
    // At 10,000 bots scraped every 15 s: the windows add up tiles, never raw samples (README, "The uptime rules").
    const intervalOf = new Map(ruleFile.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => [r.record!, g.interval])));
    const reads = records.flatMap((r) => ranges(r.expr).map((x) => ({ rule: r.record, ...x })));
    expect(reads.length).toBeGreaterThanOrEqual(8);
    for (const { rule, series, seconds } of reads) {
      if (series.startsWith("secretary_")) expect(seconds, `${rule} reads ${series}`).toBeLessThanOrEqual(60);
      else if (series === "secretary:bot_health_scrapes:sum_1m") expect(seconds, `${rule} reads ${series}`).toBeLessThanOrEqual(86_400);
      else expect(series, rule).toBe("secretary:bot_health_scrapes:sum_1h");
    }
    // A tile's window equals its group's interval, so that consecutive tiles neither overlap nor leave holes.
    for (const tile of ["secretary:bot_health_scrapes:sum_1m", "secretary:bot_health_scrapes:sum_1h"]) {
      const [read] = ranges(records.find((r) => r.record === tile)!.expr);
      expect({ tile, interval: intervalOf.get(tile) }).toEqual({ tile, interval: `${read!.seconds >= 3600 ? read!.seconds / 3600 + "h" : read!.seconds / 60 + "m"}` });
    }
  });
});
