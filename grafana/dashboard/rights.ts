/** Business connection and rights: what each bot's business connection grants, as a bot × right matrix. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tablePanel } from "./panels.ts";
import { query, thresholdColor, thresholds, valueMap, type Row } from "./shared.ts";

const granted = valueMap([
  ["1", "✔", "green"],
  ["0", "✘", "red"],
]);

export const rights: Row = {
  row: new dashboard.RowBuilder("Business connection and rights").id(13).gridPos({ x: 0, y: 55, w: 24, h: 1 }),
  panels: [
    tablePanel({
      id: 14,
      title: "Rights matrix",
      description:
        "What each bot's business connection grants (from getBusinessConnection), and whether Telegram reports the connection enabled. Empty: not known (the connection check did not get that far).",
      grid: { x: 0, y: 56, w: 24, h: 10 },
    })
      .withTarget(
        query(
          "A",
          'label_replace(max by (bot) (secretary_business_connection_enabled{bot=~"$bot"}), "right", "connection enabled", "", "")\nor max by (bot, right) (secretary_business_right{bot=~"$bot"})',
          "",
          { instant: true, table: true },
        ),
      )
      .withTransformation({ id: "groupingToMatrix", options: { columnField: "right", rowField: "bot", valueField: "Value" } })
      .mappings([granted])
      .align(common.FieldTextAlignment.Center)
      .cellOptions({ type: common.TableCellDisplayMode.ColorText })
      .colorScheme(thresholdColor())
      .thresholds(thresholds("text"))
      .overrideByName("bot\\right", [
        { id: "displayName", value: "Bot" },
        { id: "custom.align", value: "left" },
        { id: "custom.cellOptions", value: { type: "auto" } },
      ]),
  ],
};
