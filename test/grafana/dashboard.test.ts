/**
 * The dashboard JSON against the model Grafana loads (dashboard schema 36+, the JSON a provisioned
 * dashboard file holds), and the provisioning files next to it. Its queries run on a real Prometheus
 * in prometheus.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { allPanels, allQueries, BUILTIN_VARIABLES, loadDashboard, variableQuery, variablesIn, type Panel } from "./dashboard.ts";

const dashboard = loadDashboard();
const panels = allPanels(dashboard);
const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" };

/** Panel plugins built into Grafana 10 to 12 (no Angular: Grafana 12 no longer loads it). */
const CORE_PANELS = new Set(["row", "stat", "timeseries", "table", "state-timeline", "status-history", "bargauge", "gauge", "text", "barchart", "piechart", "heatmap", "histogram"]);
/** Transformations built into Grafana, with the options each one needs here. */
const TRANSFORMATIONS: Record<string, string[]> = {
  organize: [],
  merge: [],
  groupingToMatrix: ["columnField", "rowField", "valueField"],
  joinByField: [],
  sortBy: [],
  filterFieldsByName: [],
  labelsToFields: [],
};

const provisioned = (path: string) => YAML.parse(readFileSync(fileURLToPath(new URL(`../../grafana/provisioning/${path}`, import.meta.url)), "utf8"));
const exprs = (p: Panel) => (p.targets ?? []).map((t) => t.expr).join("\n");
const panelsUsing = (pattern: RegExp) => panels.filter((p) => pattern.test(exprs(p)));

describe("the Grafana dashboard", () => {
  it("when the JSON is read, then it has the top-level shape of a Grafana dashboard model that provisioning accepts", () => {
    expect(dashboard.id).toBeNull();
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(typeof dashboard.title).toBe("string");
    expect(dashboard.title.length).toBeGreaterThan(0);
    expect(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36).toBe(true);
    expect(dashboard).toMatchObject({
      editable: expect.any(Boolean),
      tags: expect.arrayContaining(["secretary-watch"]),
      time: { from: expect.any(String), to: expect.any(String) },
      refresh: expect.stringMatching(/^\d+[smh]$/),
      templating: { list: expect.any(Array) },
      annotations: { list: expect.any(Array) },
      panels: expect.any(Array),
    });
    // Grafana's own "Annotations & Alerts" entry, which every saved dashboard carries.
    expect(dashboard.annotations.list).toContainEqual(expect.objectContaining({ builtIn: 1, datasource: { type: "grafana", uid: "-- Grafana --" } }));
  });

  it("when the panels are laid out, then each has a unique id, a core type and a place on the 24-column grid that no other panel takes", () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(CORE_PANELS.has(p.type), `panel "${p.title}": type ${p.type}`).toBe(true);
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      const { x, y, w, h } = p.gridPos;
      expect([x, y, w, h].every(Number.isInteger), `panel "${p.title}": gridPos`).toBe(true);
      expect(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24, `panel "${p.title}": gridPos ${JSON.stringify(p.gridPos)}`).toBe(true);
      if (p.type === "row") expect({ w, h, panels: p.panels }, p.title).toEqual({ w: 24, h: 1, panels: p.collapsed ? expect.any(Array) : [] });
    }
    const overlaps = (a: Panel["gridPos"], b: Panel["gridPos"]) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [i, a] of panels.entries())
      for (const b of panels.slice(i + 1)) expect(overlaps(a.gridPos, b.gridPos), `"${a.title}" overlaps "${b.title}"`).toBe(false);
  });

  it("when panels query, then every panel and every target use the Prometheus data source variable, with unique refIds and a PromQL expression", () => {
    for (const p of panels.filter((p) => p.type !== "row")) {
      expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, `${p.title}: refIds`).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource, `${p.title} ${t.refId}`).toEqual(DATASOURCE_REF);
        expect(t.refId).toMatch(/^[A-Z]$/);
        expect(t.expr.trim().length, `${p.title} ${t.refId}`).toBeGreaterThan(0);
        // Tables read one instant result; graphs a range.
        if (p.type === "table") expect({ instant: t.instant, range: t.range, format: t.format }, p.title).toEqual({ instant: true, range: false, format: "table" });
        if (p.type === "timeseries" || p.type === "state-timeline") expect(t.range, p.title).toBe(true);
      }
      expect(p.fieldConfig, p.title).toEqual({ defaults: expect.any(Object), overrides: expect.any(Array) });
      expect(p.options, p.title).toEqual(expect.any(Object));
      expect(p.description, p.title).toBeTruthy();
      for (const tr of p.transformations ?? []) {
        expect(Object.keys(TRANSFORMATIONS), `${p.title}: transformation`).toContain(tr.id);
        for (const option of TRANSFORMATIONS[tr.id]!) expect(tr.options[option], `${p.title}: ${tr.id}.${option}`).toBeTruthy();
      }
    }
    for (const a of dashboard.annotations.list.filter((a) => a.expr)) expect(a.datasource, a.name).toEqual(DATASOURCE_REF);
  });

  it("when variables are read, then datasource picks a Prometheus, bot and check are multi-value with All as .*, check follows bot, and every variable a query uses exists", () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.size).toBe(dashboard.templating.list.length);
    expect(vars.get("datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    // Its default is the data source provisioned with the stack.
    const [source] = provisioned("datasources/prometheus.yaml").datasources;
    expect(vars.get("datasource")!.current?.value).toBe(source.uid);
    for (const name of ["bot", "check"]) {
      expect(vars.get(name), name).toMatchObject({ type: "query", datasource: DATASOURCE_REF, multi: true, includeAll: true, allValue: ".*", refresh: 2 });
      expect(variableQuery(vars.get(name)!)).toMatch(new RegExp(`^label_values\\(secretary_\\w+(\\{[^}]*\\})?, ${name}\\)$`));
    }
    expect(variablesIn(variableQuery(vars.get("check")!))).toEqual(["bot"]);
    for (const q of allQueries(dashboard))
      for (const name of variablesIn(q.expr)) expect(vars.has(name) || BUILTIN_VARIABLES.has(name), `${q.where} uses $${name}`).toBe(true);
    // Every selector of a per-bot metric honours $bot, and of a per-check metric $check.
    const PER_BOT = /^secretary_(bot_health|check_state|check_last_run_timestamp_seconds|business_connection_enabled|business_right|webhook_pending_updates|webhook_last_error_timestamp_seconds|webhook_certificate_expiry_timestamp_seconds|roundtrip_duration_seconds_bucket)$/;
    const PER_CHECK = /^secretary_(check_state|check_duration_seconds_bucket|check_runs_total)$/;
    for (const p of panels)
      for (const t of p.targets ?? [])
        for (const [, metric, selector = ""] of t.expr.matchAll(/\b(secretary_\w+)(\{[^}]*\})?/g)) {
          if (PER_BOT.test(metric!)) expect(selector, `${p.title} ${t.refId}: ${metric}`).toContain('bot=~"$bot"');
          if (PER_CHECK.test(metric!)) expect(selector, `${p.title} ${t.refId}: ${metric}`).toContain('check=~"$check"');
        }
    // The per-bot series the recording rules write, too.
    for (const p of panels)
      for (const t of p.targets ?? [])
        for (const [, series, selector = ""] of t.expr.matchAll(/(secretary:bot_[\w:]+)(\{[^}]*\})?/g)) expect(selector, `${p.title} ${t.refId}: ${series}`).toContain('bot=~"$bot"');
  });

  it("when an ops team opens it, then it has every view the issue asks for", () => {
    // Fleet health at a glance: bots per health and firing alerts.
    expect(panelsUsing(/secretary_bot_health/).some((p) => p.type === "stat" && /by \(health\)/.test(exprs(p)))).toBe(true);
    expect(panelsUsing(/secretary_alerts_firing/).some((p) => p.type === "stat")).toBe(true);
    // The bots worst first, with their failing checks.
    const worst = panels.find((p) => p.type === "table" && /secretary_bot_health/.test(exprs(p)) && /secretary_check_state/.test(exprs(p)));
    expect(worst?.options?.sortBy).toEqual([expect.objectContaining({ desc: true })]);
    // A state timeline of checks per bot.
    const timeline = panelsUsing(/secretary_check_state/).find((p) => p.type === "state-timeline");
    expect(timeline?.targets?.[0]?.legendFormat).toMatch(/\{\{bot\}\}.*\{\{check\}\}/);
    // The rights matrix: bots by rights.
    const rights = panelsUsing(/secretary_business_right/).find((p) => p.type === "table");
    expect(rights?.transformations).toContainEqual({ id: "groupingToMatrix", options: { rowField: "bot", columnField: "right", valueField: "Value" } });
    // Webhook backlog and errors.
    expect(panelsUsing(/secretary_webhook_pending_updates/).length).toBeGreaterThan(0);
    expect(panelsUsing(/secretary_webhook_last_error_timestamp_seconds/).length).toBeGreaterThan(0);
    // The webhook endpoints' certificates: time to expiry, per bot.
    expect(panelsUsing(/secretary_webhook_certificate_expiry_timestamp_seconds\{bot=~"\$bot"\}\) - time\(\)/).length).toBeGreaterThan(0);
    // Round-trip latency per bot and mode.
    expect(panelsUsing(/histogram_quantile\(.*by \(le, bot, mode\) \(rate\(secretary_roundtrip_duration_seconds_bucket/).length).toBeGreaterThan(0);
    // Telegram API requests by method and code.
    expect(panelsUsing(/by \(method, code\) \(rate\(secretary_telegram_requests_total/).length).toBeGreaterThan(0);
    // Notification deliveries and the outbox.
    expect(panelsUsing(/secretary_notifications_total/).length).toBeGreaterThan(0);
    expect(panelsUsing(/secretary_notification_outbox_size/).length).toBeGreaterThan(0);
  });

  it("when an ops team looks for uptime, then a row of its own shows each bot's 1d, 7d and 30d from the recording rules, worst first, and a fleet figure", () => {
    const rows = dashboard.panels.filter((p) => p.type === "row");
    const row = rows.find((p) => /uptime/i.test(p.title));
    expect(row?.collapsed).toBe(false);
    // The panels under the row: below it and above the next one.
    const next = rows.map((r) => r.gridPos.y).filter((y) => y > row!.gridPos.y).sort((a, b) => a - b)[0] ?? Infinity;
    const inRow = panels.filter((p) => p.type !== "row" && p.gridPos.y > row!.gridPos.y && p.gridPos.y < next);
    const windows = ["1d", "7d", "30d"];
    const readsEachWindow = (p: Panel) => windows.every((w) => p.targets!.some((t) => t.expr.includes(`secretary:bot_up:ratio_${w}{`)));
    const table = inRow.find((p) => p.type === "table" && readsEachWindow(p));
    // One row per bot: every target keeps `bot` and only `bot`, so the merge joins the three windows on it.
    for (const t of table?.targets ?? []) expect(t.expr, t.refId).toMatch(/^(min|max) by \(bot\) \(secretary:bot_up:ratio_\d+d\{bot=~"\$bot"\}\)$/);
    expect(table?.transformations?.map((t) => t.id)).toEqual(["merge", "organize"]);
    expect(table?.options?.sortBy).toEqual([expect.objectContaining({ desc: false })]);
    expect(table?.fieldConfig?.defaults).toMatchObject({ unit: "percentunit", min: 0, max: 1 });
    // The fleet: one figure per window over every bot shown.
    const fleet = inRow.find((p) => p.type === "stat" && readsEachWindow(p));
    for (const t of fleet?.targets ?? []) expect(t.expr, t.refId).toMatch(/^avg\(secretary:bot_up:ratio_\d+d\{bot=~"\$bot"\}\)$/);
    expect(fleet?.fieldConfig?.defaults).toMatchObject({ unit: "percentunit", min: 0, max: 1 });
  });

  it("when Grafana provisions it, then the data source is Prometheus by uid and the dashboard provider reads JSON files", () => {
    const ds = provisioned("datasources/prometheus.yaml");
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toEqual([expect.objectContaining({ type: "prometheus", access: "proxy", isDefault: true, uid: expect.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) })]);
    const providers = provisioned("dashboards/secretary-watch.yaml");
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toEqual([expect.objectContaining({ type: "file", options: expect.objectContaining({ path: expect.stringMatching(/^\//) }) })]);
  });
});
