/** Notifications: deliveries by channel, kind and result; the outbox beside the alerts that fill it. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { timeseriesPanel } from "./panels.ts";
import { paletteColor, query, stacking, type Row } from "./shared.ts";

export const notifications: Row = {
  row: new dashboard.RowBuilder("Notifications").id(24).gridPos({ x: 0, y: 101, w: 24, h: 1 }),
  panels: [
    timeseriesPanel({
      id: 25,
      title: "Notification deliveries",
      description: "Delivery attempts per channel, kind (firing, reminder, resolved, test) and result: sent; failed (will be retried); dropped (given up).",
      grid: { x: 0, y: 102, w: 12, h: 8 },
    })
      .withTarget(query("A", "sum by (channel, kind, result) (increase(secretary_notifications_total[$__rate_interval]))", "{{channel}} {{kind}} {{result}}"))
      .unit("short")
      .drawStyle(common.GraphDrawStyle.Bars)
      .fillOpacity(60)
      .stacking(stacking(common.StackingMode.Normal))
      .colorScheme(paletteColor())
      .overrideByRegexp(".* failed", [{ id: "color", value: { mode: "fixed", fixedColor: "orange" } }])
      .overrideByRegexp(".* dropped", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }]),
    timeseriesPanel({
      id: 26,
      title: "Outbox and firing alerts",
      description: "Notifications waiting in the outbox, and bot alerts firing by severity.",
      grid: { x: 12, y: 102, w: 12, h: 8 },
    })
      .withTarget(query("A", "sum(secretary_notification_outbox_size)", "outbox"))
      .withTarget(query("B", "sum by (health) (secretary_alerts_firing)", "firing: {{health}}"))
      .unit("short")
      .colorScheme(paletteColor()),
  ],
};
