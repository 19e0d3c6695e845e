/** Telegram API: the monitor's own Bot API requests, their errors and latency. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { timeseriesPanel } from "./panels.ts";
import { listLegend, paletteColor, query, singleTooltip, stacking, thresholds, type Row } from "./shared.ts";

export const telegramApi: Row = {
  row: new dashboard.RowBuilder("Telegram API").id(20).gridPos({ x: 0, y: 92, w: 24, h: 1 }),
  panels: [
    timeseriesPanel({
      id: 21,
      title: "Bot API requests by method and code",
      description: "Requests per second the monitor made, by method and outcome (HTTP code, 5xx, network, timeout).",
      grid: { x: 0, y: 93, w: 10, h: 8 },
    })
      .withTarget(query("A", "sum by (method, code) (rate(secretary_telegram_requests_total[$__rate_interval]))", "{{method}} {{code}}"))
      .unit("reqps")
      .stacking(stacking(common.StackingMode.Normal))
      .colorScheme(paletteColor()),
    timeseriesPanel({
      id: 22,
      title: "Bot API errors",
      description:
        "Share of requests that ended in 429, 5xx, a network error or a timeout: the monitor's link to Telegram, not the bots (401, 404 and 400 are verdicts on bots). SecretaryTelegramApiErrors fires above 10 % for 10 minutes.",
      grid: { x: 10, y: 93, w: 6, h: 8 },
    })
      .withTarget(
        query(
          "A",
          '(sum(rate(secretary_telegram_requests_total{code=~"429|5xx|network|timeout"}[$__rate_interval])) or vector(0))\n/ sum(rate(secretary_telegram_requests_total[$__rate_interval]))',
          "errors",
        ),
      )
      .unit("percentunit")
      .colorScheme(paletteColor())
      .min(0)
      .thresholds(thresholds("green", [0.1, "red"]))
      .legend(listLegend())
      .tooltip(singleTooltip()),
    timeseriesPanel({
      id: 23,
      title: "Bot API latency (p95) by method",
      description: "95th percentile of Bot API request latency as the monitor sees it.",
      grid: { x: 16, y: 93, w: 8, h: 8 },
    })
      .withTarget(query("A", "histogram_quantile(0.95, sum by (le, method) (rate(secretary_telegram_request_duration_seconds_bucket[$__rate_interval])))", "{{method}}"))
      .unit("s")
      .colorScheme(paletteColor())
      .legend(listLegend()),
  ],
};
