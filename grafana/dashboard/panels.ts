/**
 * The panel kinds of the dashboard with the options each kind repeats here, so that a row file says only
 * what its panels add: queries, unit, thresholds, mappings.
 */
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, lastValue, legend, multiTooltip, singleTooltip, stacking, tableFooter, tableLegend, thresholds, type Grid } from "./shared.ts";

/** What every panel has: a fixed id (links and provisioning keep it), a title, a why, a place. */
export interface PanelBase {
  id: number;
  title: string;
  description: string;
  grid: Grid;
}

interface Common<B> {
  id(id: number): B;
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: typeof DATASOURCE): B;
  gridPos(grid: Grid): B;
}

function base<B extends Common<B>>(builder: B, panel: PanelBase): B {
  return builder.id(panel.id).title(panel.title).description(panel.description).datasource(DATASOURCE).gridPos(panel.grid);
}

/** One big number, the last value, no sparkline. */
export function statPanel(panel: PanelBase): stat.PanelBuilder {
  return base(new stat.PanelBuilder(), panel)
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Auto)
    .textMode(common.BigValueTextMode.Value)
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .showPercentChange(false);
}

/** Lines over time, the legend as a table of last and max on the right. */
export function timeseriesPanel(panel: PanelBase): timeseries.PanelBuilder {
  return base(new timeseries.PanelBuilder(), panel)
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .stacking(stacking(common.StackingMode.None))
    .legend(tableLegend())
    .tooltip(multiTooltip());
}

/** A filterable table with the footer off. */
export function tablePanel(panel: PanelBase): table.PanelBuilder {
  return base(new table.PanelBuilder(), panel).showHeader(true).cellHeight(common.TableCellHeight.Sm).footer(tableFooter());
}

/** One band per series, coloured by the value's mapping, merged while the value holds. */
export function timelinePanel(panel: PanelBase): statetimeline.PanelBuilder {
  return base(new statetimeline.PanelBuilder(), panel)
    .thresholds(thresholds("green"))
    .fillOpacity(80)
    .lineWidth(0)
    .mergeValues(true)
    .showValue(common.VisibilityMode.Never)
    .alignValue(common.TimelineValueAlignment.Left)
    .rowHeight(0.9)
    .legend(legend(common.LegendDisplayMode.List, common.LegendPlacement.Bottom).showLegend(false))
    .tooltip(singleTooltip());
}

/** One horizontal bar per bot, coloured by the thresholds. */
export function barGaugePanel(panel: PanelBase): bargauge.PanelBuilder {
  return base(new bargauge.PanelBuilder(), panel)
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .showUnfilled(true)
    .valueMode(common.BarGaugeValueMode.Color)
    .namePlacement(common.BarGaugeNamePlacement.Left)
    .sizing(common.BarGaugeSizing.Auto)
    .minVizHeight(16)
    .maxVizHeight(24);
}
