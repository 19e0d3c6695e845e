/** Webhook: updates waiting at Telegram, the last delivery error, and the endpoint certificate's expiry. */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { barGaugePanel, timeseriesPanel, type PanelBase } from "./panels.ts";
import { paletteColor, query, thresholdColor, thresholds, type Row } from "./shared.ts";

const DAY = 86_400;

/** A bar per bot of a time in seconds (one instant query), coloured by how close it is to trouble. */
const secondsPerBot = (panel: PanelBase, expr: string) =>
  barGaugePanel(panel).withTarget(query("A", expr, "{{bot}}", { instant: true })).unit("s").decimals(0).colorScheme(thresholdColor());

export const webhook: Row = {
  row: new dashboard.RowBuilder("Webhook").id(15).gridPos({ x: 0, y: 66, w: 24, h: 1 }),
  panels: [
    timeseriesPanel({
      id: 16,
      title: "Webhook backlog",
      description:
        "Updates waiting at Telegram for each bot's webhook (getWebhookInfo pending_update_count). A growing backlog means the bot's server does not take its updates.",
      grid: { x: 0, y: 67, w: 12, h: 8 },
    })
      .withTarget(query("A", 'max by (bot) (secretary_webhook_pending_updates{bot=~"$bot"})', "{{bot}}"))
      .unit("short")
      .colorScheme(paletteColor()),
    secondsPerBot(
      {
        id: 17,
        title: "Last webhook delivery error",
        description:
          "How long ago Telegram last failed to deliver an update to each bot's webhook (last_error_date). The webhook check fails while it is within checks.webhook.errorWindow (10 minutes by default).",
        grid: { x: 12, y: 67, w: 12, h: 8 },
      },
      'time() - max by (bot) (secretary_webhook_last_error_timestamp_seconds{bot=~"$bot"})',
    )
      .min(0)
      .thresholds(thresholds("red", [600, "orange"], [DAY, "green"])),
    secondsPerBot(
      {
        id: 30,
        title: "Webhook certificate: time to expiry",
        description:
          "Per bot, the time until the TLS certificate of its webhook endpoint expires (negative: expired), from secretary_webhook_certificate_expiry_timestamp_seconds. Red within 3 days (webhook-endpoint fails), orange within 14 (it warns; SecretaryWebhookCertificateExpiring fires). Polling bots and endpoints that could not be reached have no value.",
        grid: { x: 0, y: 75, w: 24, h: 8 },
      },
      'min by (bot) (secretary_webhook_certificate_expiry_timestamp_seconds{bot=~"$bot"}) - time()',
    )
      .thresholds(thresholds("red", [3 * DAY, "orange"], [14 * DAY, "green"])),
  ],
};
