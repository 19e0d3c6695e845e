/**
 * What every panel of the dashboard shares: the Prometheus data source variable, query and threshold
 * shorthands, the value mappings of health and check state, and the option sets each panel kind repeats.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";

/** Every panel and query reads the data source the `datasource` variable picks. */
export const DATASOURCE: dashboard.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

export interface Grid {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface QueryOptions {
  /** One instant result (tables, bar gauges, the uptime stats) instead of a range. */
  instant?: boolean;
  /** Prometheus' table format: one row per series, labels as columns. */
  table?: boolean;
}

/**
 * A PromQL target written as code; refIds follow the order of the panel's queries (A, B, C...). Both
 * range and instant are spelt out (the SDK's setters only switch one on), so Grafana runs exactly one.
 */
export function query(refId: string, expr: string, legendFormat: string, options: QueryOptions = {}): cog.Builder<cog.Dataquery> {
  const target = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(refId)
    .expr(expr)
    .legendFormat(legendFormat)
    .editorMode(prometheus.QueryEditorMode.Code);
  if (options.table) target.format(prometheus.PromQueryFormat.Table);
  const instant = options.instant === true;
  return { build: () => ({ ...target.build(), range: !instant, instant }) };
}

/** Absolute thresholds from the base colour up: thresholds("green", [300, "orange"], [900, "red"]). */
export function thresholds(base: string, ...steps: Array<[number, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ color: base, value: null }, ...steps.map(([value, color]) => ({ color, value }))]);
}

export const fixedColor = (color: string): dashboard.FieldColorBuilder =>
  new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor(color);
export const thresholdColor = (): dashboard.FieldColorBuilder => new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds);
export const paletteColor = (): dashboard.FieldColorBuilder => new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.PaletteClassic);

/** Value → text and colour, in the order given (Grafana's `index`). */
export function valueMap(entries: Array<[string, string, string]>): dashboard.ValueMapping {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  for (const [index, [value, text, color]] of entries.entries()) options[value] = { text, color, index };
  return { type: dashboard.MappingType.ValueToText, options };
}

/** Bot health as one number, worst highest: down 3, unknown 2, degraded 1, healthy 0. */
export const HEALTH_MAPPING = valueMap([
  ["0", "healthy", "green"],
  ["1", "degraded", "orange"],
  ["2", "unknown", "blue"],
  ["3", "down", "red"],
]);

/** The expression behind HEALTH_MAPPING: each bot's health series folded into its number. */
export const HEALTH_NUMBER = [
  'max by (bot) (secretary_bot_health{bot=~"$bot", health="down"} == 1) * 3',
  'or max by (bot) (secretary_bot_health{bot=~"$bot", health="unknown"} == 1) * 2',
  'or max by (bot) (secretary_bot_health{bot=~"$bot", health="degraded"} == 1)',
  'or max by (bot) (secretary_bot_health{bot=~"$bot", health="healthy"} == 1) * 0',
];

export const lastValue = (): common.ReduceDataOptionsBuilder => new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).fields("").values(false);
export const tableFooter = (): common.TableFooterOptionsBuilder => new common.TableFooterOptionsBuilder().show(false).reducer(["sum"]).countRows(false);
export const stacking = (mode: common.StackingMode): common.StackingConfigBuilder => new common.StackingConfigBuilder().mode(mode).group("A");

export function legend(displayMode: common.LegendDisplayMode, placement: common.LegendPlacement, calcs?: string[]): common.VizLegendOptionsBuilder {
  const built = new common.VizLegendOptionsBuilder().displayMode(displayMode).placement(placement).showLegend(true);
  return calcs ? built.calcs(calcs) : built;
}
/** The legend as a table of last and max on the right, for graphs with many series. */
export const tableLegend = (): common.VizLegendOptionsBuilder => legend(common.LegendDisplayMode.Table, common.LegendPlacement.Right, ["lastNotNull", "max"]);
export const listLegend = (): common.VizLegendOptionsBuilder => legend(common.LegendDisplayMode.List, common.LegendPlacement.Bottom);

export const multiTooltip = (): common.VizTooltipOptionsBuilder => new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
export const singleTooltip = (): common.VizTooltipOptionsBuilder => new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single).sort(common.SortOrder.None);

/** One row of the dashboard: its header and the panels laid out under it. */
export interface Row {
  row: dashboard.RowBuilder;
  panels: Array<cog.Builder<dashboard.Panel>>;
}

/** A table's initial sort by one column. */
export const sortBy = (displayName: string, desc: boolean): common.TableSortByFieldStateBuilder =>
  new common.TableSortByFieldStateBuilder().displayName(displayName).desc(desc);
