/** Uptime: the recording rules' 1-, 7- and 30-day uptime, for the fleet and per bot, worst first. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { statPanel, tablePanel } from "./panels.ts";
import { fixedColor, query, sortBy, thresholdColor, thresholds, type Row } from "./shared.ts";

const WINDOWS = [
  ["A", "1d", "1 day"],
  ["B", "7d", "7 days"],
  ["C", "30d", "30 days"],
] as const;
/** Three nines green, two nines orange, below that red. */
const uptimeThresholds = () => thresholds("red", [0.99, "orange"], [0.999, "green"]);

export const history: Row = {
  row: new dashboard.RowBuilder("Uptime").id(27).gridPos({ x: 0, y: 15, w: 24, h: 1 }),
  panels: [
    WINDOWS.reduce(
      (panel, [refId, window, label]) => panel.withTarget(query(refId, `avg(secretary:bot_up:ratio_${window}{bot=~"$bot"})`, label, { instant: true })),
      statPanel({
        id: 28,
        title: "Fleet uptime (mean of the bots)",
        description:
          "The mean of the bots' uptimes over the last day, 7 days and 30 days (recording rules secretary:bot_up:ratio_1d, _7d, _30d): time not down ÷ known time. Time the monitor was not scraped, or a bot's health was unknown, is left out, never counted as up; degraded counts as up. 7 and 30 days end at the last full hour.",
        grid: { x: 0, y: 16, w: 6, h: 8 },
      }),
    )
      .unit("percentunit")
      .decimals(2)
      .min(0)
      .max(1)
      .colorScheme(thresholdColor())
      .thresholds(uptimeThresholds())
      .orientation(common.VizOrientation.Horizontal)
      .textMode(common.BigValueTextMode.ValueAndName),
    WINDOWS.reduce(
      (panel, [refId, window]) => panel.withTarget(query(refId, `min by (bot) (secretary:bot_up:ratio_${window}{bot=~"$bot"})`, "", { instant: true, table: true })),
      tablePanel({
        id: 29,
        title: "Uptime per bot, worst first",
        description:
          "Each bot's uptime over the last day, 7 days and 30 days (secretary:bot_up:ratio_1d, _7d, _30d), lowest last-day uptime first. Empty: nothing known in that window (the bot is new, or its health was unknown all along). A bot two deployments watch shows its lower figure.",
        grid: { x: 6, y: 16, w: 18, h: 8 },
      }),
    )
      .withTransformation({ id: "merge", options: {} })
      .withTransformation({
        id: "organize",
        options: {
          excludeByName: { Time: true },
          indexByName: { bot: 0, "Value #A": 1, "Value #B": 2, "Value #C": 3 },
          renameByName: { bot: "Bot", "Value #A": "1 day", "Value #B": "7 days", "Value #C": "30 days" },
        },
      })
      .unit("percentunit")
      .decimals(2)
      .min(0)
      .max(1)
      .align(common.FieldTextAlignment.Auto)
      .cellOptions({ type: common.TableCellDisplayMode.ColorText })
      .filterable(true)
      .colorScheme(thresholdColor())
      .thresholds(uptimeThresholds())
      .overrideByName("Bot", [
        { id: "unit", value: "string" },
        { id: "color", value: fixedColor("text").build() },
      ])
      .sortBy([sortBy("1 day", false)]),
  ],
};
