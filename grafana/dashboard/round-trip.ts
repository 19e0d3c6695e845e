/** Round trip: the latency from a message to the bot's answer, measured through the test account. */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { timeseriesPanel } from "./panels.ts";
import { paletteColor, query, type Row } from "./shared.ts";

/** Round trips are rare (one per bot per interval): an hour's window has enough of them for a quantile. */
const quantile = (q: number) => `histogram_quantile(${q}, sum by (le, bot, mode) (rate(secretary_roundtrip_duration_seconds_bucket{bot=~"$bot"}[1h])))`;

export const roundTrip: Row = {
  row: new dashboard.RowBuilder("Round trip").id(18).gridPos({ x: 0, y: 83, w: 24, h: 1 }),
  panels: [
    timeseriesPanel({
      id: 19,
      title: "Round-trip latency (last hour)",
      description:
        "Time from a message to the bot's answer, measured through the Telegram test account by the round-trip check (checks.round-trip): median and 95th percentile of the round trips in the hour before each point (round trips are rare: one per bot per checks.round-trip.interval). Empty while the check is disabled.",
      grid: { x: 0, y: 84, w: 24, h: 8 },
    })
      .withTarget(query("A", quantile(0.5), "{{bot}} {{mode}} p50"))
      .withTarget(query("B", quantile(0.95), "{{bot}} {{mode}} p95"))
      .unit("s")
      .colorScheme(paletteColor()),
  ],
};
