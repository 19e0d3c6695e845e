import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The artefacts under test, by absolute path. */
export const DASHBOARD_FILE = fileURLToPath(new URL("../../grafana/dashboards/secretary-watch.json", import.meta.url));
export const RULES_FILE = fileURLToPath(new URL("../../grafana/prometheus/secretary-watch.rules.yml", import.meta.url));
export const RULES_TEST_FILE = fileURLToPath(new URL("../../grafana/prometheus/secretary-watch.rules.test.yml", import.meta.url));
/** The uptime rules' 7-day and 30-day cases, evaluated hourly (a file of their own: promtool has one interval per file). */
export const RULES_HOURLY_TEST_FILE = fileURLToPath(new URL("../../grafana/prometheus/secretary-watch.rules.hourly.test.yml", import.meta.url));

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  expr: string;
  datasource?: DataSourceRef;
  instant?: boolean;
  range?: boolean;
  format?: string;
  legendFormat?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DataSourceRef;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
  collapsed?: boolean;
  transformations?: Array<{ id: string; options: Record<string, unknown> }>;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
}

export interface Variable {
  name: string;
  type: string;
  query: unknown;
  definition?: string;
  datasource?: DataSourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: unknown; text?: unknown };
  refresh?: number;
}

export interface Dashboard {
  id: number | null;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: Array<{ name: string; datasource: DataSourceRef; expr?: string; builtIn?: number }> };
  [key: string]: unknown;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
}

/** Every panel, those inside collapsed rows included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL query of the dashboard: panel targets, annotations and query variables. */
export function allQueries(d: Dashboard): Array<{ where: string; expr: string; panel?: Panel; target?: Target }> {
  const out: Array<{ where: string; expr: string; panel?: Panel; target?: Target }> = [];
  for (const panel of allPanels(d))
    for (const target of panel.targets ?? []) out.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr, panel, target });
  for (const a of d.annotations.list) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating.list) if (v.type === "query") out.push({ where: `variable $${v.name}`, expr: variableQuery(v) });
  return out;
}

/** A query variable's query text (Grafana stores a string, or an object with `query`). */
export function variableQuery(v: Variable): string {
  return typeof v.query === "string" ? v.query : String((v.query as { query?: unknown }).query ?? "");
}

/** Grafana's built-in variables that may appear in a Prometheus query. */
export const BUILTIN_VARIABLES = new Set(["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"]);

/** `$name`, `${name}`, `${name:format}` and `[[name]]`, as Grafana finds them. */
const VARIABLE = /\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g;

export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(VARIABLE)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** What Grafana would send for the defaults (All bots, all checks) over a short range. */
export function interpolate(expr: string, values: Record<string, string>): string {
  return expr.replace(VARIABLE, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for variable $${name} in ${expr}`);
    return value;
  });
}

/**
 * `label_values(metric{selector}, label)` as Grafana's Prometheus data source runs it: the values of
 * `label` on the series matching the selector. Returns the selector and the label.
 */
export function parseLabelValues(query: string): { match: string; label: string } {
  const m = /^label_values\((.+),\s*(\w+)\s*\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return { match: m[1]!.trim(), label: m[2]! };
}
