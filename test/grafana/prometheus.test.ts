/**
 * The dashboard and the alert rules against the real tools: the demo service runs in process against
 * the sandbox, Debian's Prometheus scrapes it every second with the rules loaded, and every query the
 * dashboard and the rules hold is run there.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import { startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";
import { httpReceiver, type HttpReceiver } from "../support/http-receiver.ts";
import { prometheusBinaries, promtool, startPrometheus, type PromSample, type QueryAnswer, type RunningPrometheus } from "../support/prometheus.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { allPanels, allQueries, interpolate, loadDashboard, parseLabelValues, RULES_FILE, variableQuery } from "./dashboard.ts";

/** The defaults a Grafana user sees: every bot, every check; a rate window of several scrapes. */
const VARIABLES = { bot: ".*", check: ".*", __rate_interval: "30s", __interval: "5s", __interval_ms: "5000", __range: "1m", __range_s: "60", __range_ms: "60000" };

/**
 * Panel queries that cannot have data against the demo, each with the reason. Every other panel query
 * must return data. The test also fails when one of these starts returning data (then remove it here).
 */
const NO_DATA_IN_DEMO = new Map<string, string>([
  // Prometheus' own alerts reach `firing` only after their `for:` (minutes); the test runs for seconds.
  ['annotation "Firing Prometheus alerts"', "no rule is firing within the test's seconds"],
]);

const dashboard = loadDashboard();
const finite = (s: PromSample) => Number.isFinite(Number(s.value[1]));

/**
 * The rule file as this test's Prometheus loads it: the same rules, every group at the test's 1 s evaluation
 * interval. At their own intervals (1m, 1h) the uptime groups would record nothing for up to an hour.
 */
function rulesAtTestInterval(): string {
  const rules = YAML.parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ interval?: string }> };
  for (const group of rules.groups) delete group.interval;
  const file = join(mkdtempSync(join(tmpdir(), "secretary-watch-rules-")), basename(RULES_FILE));
  writeFileSync(file, YAML.stringify(rules));
  return file;
}

describe("the dashboard and the alert rules on a real Prometheus scraping the demo", () => {
  let fleet: DemoFleet;
  let receiver: HttpReceiver;
  let service: Service;
  let prometheus: RunningPrometheus;
  const logs = new LogSink();

  /** Runs `expr` until it returns at least one finite value, or the deadline passes; the last answer. */
  const eventually = async (expr: string, deadline: number): Promise<QueryAnswer> => {
    for (;;) {
      const answer = await prometheus.query(expr);
      if (answer.status === "error" || answer.result.some(finite) || Date.now() > deadline) return answer;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  // Debian's prometheus package, installed when missing (a download on a fresh machine).
  beforeAll(() => void prometheusBinaries(), 300_000);

  beforeAll(async () => {
    fleet = await startDemoFleet({ interval: "1s", timeout: "1s" });
    // A webhook channel next to the demo's Telegram one: notification metrics for two channels.
    receiver = await httpReceiver({ status: 200 });
    const config = YAML.parse(readFileSync(fleet.configPath, "utf8"));
    config.alerts.channels["ops-webhook"] = { type: "webhook", url: `${receiver.url}/hook` };
    // Round trips every 2 s rather than every minute: the latency histogram needs a few observations.
    config.checks["round-trip"] = { ...config.checks["round-trip"], interval: "2s" };
    writeFileSync(fleet.configPath, YAML.stringify(config));
    service = await startService({
      config: loadConfigFile(fleet.configPath, { ...process.env, ...fleet.env }),
      logger: createLogger({ level: "warn", destination: logs }),
      port: 0,
      storeFlushMs: 50,
    });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${new URL(service.url).port}`], ruleFiles: [rulesAtTestInterval()], interval: "1s" });
    // A few scrapes after the first alerts went out (the series exist at 0 from the start, hence `> 0`):
    // every family the demo produces exists by then.
    await until(
      "Prometheus to have scraped notifications of both channels a few times",
      async () => {
        const a = await prometheus.query('count(count_over_time((secretary_notifications_total{channel=~"ops-telegram|ops-webhook"} > 0)[1m:1s]) >= 3)');
        return a.status === "success" && Number(a.result[0]?.value[1]) >= 2 ? true : undefined;
      },
      20_000,
    );
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await service?.stop();
    await receiver?.close();
    await fleet?.sandbox.close();
  });

  it("when promtool lints the live /metrics of the demo, then it reports no problem", async () => {
    const body = await (await fetch(`${service.url}/metrics`)).text();
    // Not a vacuous pass: the families of every part of the service are in what was linted.
    for (const family of ["secretary_bot_health", "secretary_check_duration_seconds", "secretary_telegram_requests_total", "secretary_notifications_total", "process_cpu_seconds_total"])
      expect(body).toContain(`# TYPE ${family} `);
    const lint = promtool(["check", "metrics"], { stdin: body });
    expect(lint.stdout + lint.stderr).toBe("");
    expect(lint.status).toBe(0);
  });

  it("when every dashboard query runs on Prometheus, then each parses and each panel query returns data", async () => {
    const deadline = Date.now() + 8_000;
    const queries = allQueries(dashboard).filter((q) => q.panel !== undefined || q.where.startsWith("annotation"));
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const answers = await Promise.all(
      queries.map(async (q) => {
        const expr = interpolate(q.expr, VARIABLES);
        // Queries expected to stay empty are asked once; the others until they have data.
        const answer = NO_DATA_IN_DEMO.has(q.where) ? await prometheus.query(expr) : await eventually(expr, deadline);
        return { ...q, expr, answer };
      }),
    );
    const problems: string[] = [];
    for (const { where, expr, answer } of answers) {
      if (answer.status === "error") problems.push(`${where}: ${answer.errorType}: ${answer.error}\n  ${expr}`);
      else if (NO_DATA_IN_DEMO.has(where)) {
        if (answer.result.length > 0) problems.push(`${where}: has data now; remove it from NO_DATA_IN_DEMO`);
      } else if (!answer.result.some(finite)) problems.push(`${where}: no data (${answer.result.length} series, none finite)\n  ${expr}`);
    }
    expect(problems).toEqual([]);
  });

  it("when the variables' queries run as Grafana runs label_values(), then $bot lists every bot and $check every check", async () => {
    const status = (await (await fetch(`${service.url}/status`)).json()) as { bots: Array<{ name: string; checks: Array<{ check: string }> }> };
    const expected: Record<string, string[]> = {
      bot: status.bots.map((b) => b.name).sort(),
      check: [...new Set(status.bots.flatMap((b) => b.checks.map((c) => c.check)))].sort(),
    };
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
      const { match, label } = parseLabelValues(interpolate(variableQuery(variable), VARIABLES));
      const values = await prometheus.api<string[]>(`label/${label}/values?${new URLSearchParams({ "match[]": match })}`);
      expect(values.sort(), `$${variable.name}`).toEqual(expected[variable.name]);
    }
    expect(expected.bot).toContain("anna");
    expect(expected.check).toEqual(expect.arrayContaining(["token", "connection", "rights", "scope", "webhook"]));
  });

  it("when the worst-first table is queried, then each bot's rows carry its health rank and exactly its failing, warning and unknown checks", async () => {
    const table = allPanels(dashboard).find((p) => p.type === "table" && /worst first/i.test(p.title))!;
    const rank: Record<string, number> = { healthy: 0, degraded: 1, unknown: 2, down: 3 };
    // One evaluation time for all three queries, so that a flapping bot cannot tell them apart.
    const at = Date.now() / 1000;
    const query = async (expr: string) => (await prometheus.api<{ result: PromSample[] }>(`query?${new URLSearchParams({ query: expr, time: String(at) })}`)).result;
    const rows = await query(interpolate(table.targets![0]!.expr, VARIABLES));
    const health = await query("max by (bot, health) (secretary_bot_health == 1)");
    const failing = await query('max by (bot, check, state) (secretary_check_state{state=~"fail|warn|unknown"} == 1)');
    expect(health.length).toBeGreaterThanOrEqual(20);

    const rowKey = (s: PromSample) => `${s.metric.bot} ${s.metric.check ?? "-"} ${s.metric.state ?? "-"}`;
    const botsWithChecks = new Set(failing.map((s) => s.metric.bot));
    const expected = [
      ...failing.map(rowKey),
      ...health.filter((s) => !botsWithChecks.has(s.metric.bot)).map((s) => `${s.metric.bot} - -`),
    ].sort();
    expect(rows.map(rowKey).sort()).toEqual(expected);
    const healthOf = new Map(health.map((s) => [s.metric.bot!, s.metric.health!]));
    for (const row of rows) expect(Number(row.value[1]), rowKey(row)).toBe(rank[healthOf.get(row.metric.bot!)!]);
    // The demo's known cases: a revoked token is down on its token check; anna is healthy.
    expect(rows.map(rowKey)).toContain("revoked token fail");
    expect(rows.filter((r) => r.metric.bot === "anna").map((r) => [rowKey(r), r.value[1]])).toEqual([["anna - -", "0"]]);
  });

  it("when Prometheus evaluates the alert rules on the demo, then every rule is healthy and every expression runs", async () => {
    type Rule = { name: string; query: string; health: string; lastError?: string; lastEvaluation: string };
    const rules = await until(
      "every rule to have been evaluated",
      async () => {
        const { groups } = await prometheus.api<{ groups: Array<{ rules: Rule[] }> }>("rules");
        const all = groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith("0001")) ? all : undefined;
      },
      10_000,
    );
    const fromFile = (YAML.parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> }).groups
      .flatMap((g) => g.rules)
      .map((r) => ({ ...r, name: (r.alert ?? r.record)! }));
    expect(rules.map((r) => r.name).sort()).toEqual(fromFile.map((r) => r.name).sort());
    for (const r of rules) expect({ rule: r.name, health: r.health, lastError: r.lastError ?? "" }).toEqual({ rule: r.name, health: "ok", lastError: "" });
    for (const r of fromFile) {
      const answer = await prometheus.query(r.expr);
      expect(answer.status === "error" ? `${answer.errorType}: ${answer.error}` : "ok", r.name).toBe("ok");
    }
  });

  it("when the demo's bots are down or degraded, then the bot alerts are pending for exactly those bots, with their usernames", async () => {
    const alerts = async (name: string) =>
      (await prometheus.query(`ALERTS{alertname="${name}", alertstate="pending"}`)) as Extract<QueryAnswer, { status: "success" }>;
    const down = await until("SecretaryBotDown to be pending for revoked", async () => {
      const a = await alerts("SecretaryBotDown");
      return a.result.some((s) => s.metric.bot === "revoked") ? a.result : undefined;
    }, 10_000);
    const degraded = (await alerts("SecretaryBotDegradedForLong")).result;
    // Each pending alert's bot was in that health within the last minute (flaky bots flap), and has its username.
    const everDown = (await prometheus.query('max by (bot) (max_over_time(secretary_bot_health{health="down"}[1m])) == 1')) as Extract<QueryAnswer, { status: "success" }>;
    const everDegraded = (await prometheus.query('max by (bot) (max_over_time(secretary_bot_health{health="degraded"}[1m])) == 1')) as Extract<QueryAnswer, { status: "success" }>;
    expect(down.map((s) => s.metric.bot)).toEqual(expect.arrayContaining(["revoked", "malformed", "impostor"]));
    expect(everDown.result.map((s) => s.metric.bot)).toEqual(expect.arrayContaining(down.map((s) => s.metric.bot)));
    expect(degraded.map((s) => s.metric.bot)).toContain("no-stars");
    expect(everDegraded.result.map((s) => s.metric.bot)).toEqual(expect.arrayContaining(degraded.map((s) => s.metric.bot)));
    for (const s of [...down, ...degraded]) expect(s.metric.username, s.metric.bot).toBe(`${s.metric.bot!.replaceAll("-", "_")}_secretary_bot`);
    expect([...down, ...degraded].map((s) => s.metric.bot)).not.toContain("anna");
  });

  it("when the uptime rules are evaluated on the demo, then every bot whose health was known has a ratio per window in [0, 1] under its bot, equal to the raw samples' where those say always up or always down", async () => {
    type Ratios = Map<string, number>;
    const byBot = (samples: PromSample[]): Ratios => new Map(samples.map((s) => [s.metric.bot!, Number(s.value[1])]));
    // The definition, on the raw samples: scrapes not down ÷ scrapes with a known health.
    const raw = 'sum by (job, bot) (sum_over_time(secretary_bot_health{health=~"healthy|degraded"}[1d])) / sum by (job, bot) (sum_over_time(secretary_bot_health{health!="unknown"}[1d]) > 0)';
    const read = async () => {
      const at = String(Date.now() / 1000);
      const query = async (expr: string) => (await prometheus.api<{ result: PromSample[] }>(`query?${new URLSearchParams({ query: expr, time: at })}`)).result;
      const windows = await Promise.all(["1d", "7d", "30d"].map((w) => query(`secretary:bot_up:ratio_${w}`)));
      return { windows, definition: byBot(await query(raw)) };
    };
    // The rules run each second: wait until the tiles have caught up with every bot known so far.
    const { windows, definition } = await until(
      "the uptime ratios to cover every bot the raw samples know",
      async () => {
        const r = await read();
        const known = [...r.definition.keys()].sort();
        return known.length > 0 && r.windows.every((w) => JSON.stringify([...byBot(w).keys()].sort()) === JSON.stringify(known)) ? r : undefined;
      },
      10_000,
    );
    for (const samples of windows) {
      for (const s of samples) {
        const { __name__: name, ...labels } = s.metric;
        expect(Object.keys(labels).sort(), name).toEqual(["bot", "job"]);
        const value = Number(s.value[1]);
        expect(value >= 0 && value <= 1, `${name} ${s.metric.bot} = ${value}`).toBe(true);
        const exact = definition.get(s.metric.bot!)!;
        if (exact === 0 || exact === 1) expect(value, `${name} ${s.metric.bot}`).toBe(exact);
      }
      const ratios = byBot(samples);
      // The demo's known cases: a revoked token is down all along, anna healthy; the hung bot is unknown, so it has none.
      expect([ratios.get("revoked"), ratios.get("anna"), ratios.has("hung")]).toEqual([0, 1, false]);
    }
  });
});
