/**
 * The secretary-watch Grafana dashboard as code (Grafana's Foundation SDK). `npm run dashboard` writes
 * its JSON to grafana/dashboards/secretary-watch.json, the file Grafana provisions; a test checks that
 * the committed file is what this builds.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { checks } from "./checks.ts";
import { fleet } from "./fleet.ts";
import { history } from "./history.ts";
import { monitor } from "./monitor.ts";
import { notifications } from "./notifications.ts";
import { rights } from "./rights.ts";
import { roundTrip } from "./round-trip.ts";
import { DATASOURCE, type Row } from "./shared.ts";
import { telegramApi } from "./telegram-api.ts";
import { webhook } from "./webhook.ts";

/** The rows top to bottom; each row file places its panels on the grid. */
export const ROWS: Row[] = [fleet, history, checks, rights, webhook, roundTrip, telegramApi, notifications, monitor];

/** Fields Grafana's Prometheus editor stores beside the SDK's model (annotations, query variables). */
const withExtra = <T extends object>(builder: cog.Builder<T>, extra: Record<string, unknown>): cog.Builder<T> => ({ build: () => ({ ...builder.build(), ...extra }) });

/** A bot-scoped multi-value variable whose All means every value (.*), sorted alphabetically. */
function multiValue(name: string, label: string, definition: string): cog.Builder<dashboard.VariableModel> {
  const variable = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(definition)
    .current({ selected: true, text: ["All"], value: ["$__all"] })
    .hide(dashboard.VariableHide.DontHide)
    .includeAll(true)
    .allValue(".*")
    .multi(true)
    .options([])
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .regex("")
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  return withExtra(variable, { definition, skipUrlSync: false });
}

export function buildDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder("secretary-watch: Secretary Mode bots")
    .uid("secretary-watch")
    .description("Health of Telegram bots in Secretary Mode as checked by secretary-watch: fleet, checks, rights, webhooks, round trip, Telegram API and notifications.")
    .tags(["secretary-watch", "telegram"])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .fiscalYearStartMonth(0)
    .liveNow(false)
    .timezone("browser")
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .version(1)
    .weekStart("")
    .links([])
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .builtIn(1)
        .datasource({ type: "grafana", uid: "-- Grafana --" })
        .enable(true)
        .hide(true)
        .iconColor("rgba(0, 211, 255, 1)")
        .name("Annotations & Alerts")
        .type("dashboard"),
    )
    .annotation(
      withExtra(
        new dashboard.AnnotationQueryBuilder()
          .datasource(DATASOURCE)
          .enable(true)
          .hide(false)
          .iconColor("red")
          .name("Firing Prometheus alerts")
          .expr('ALERTS{alertname=~"Secretary.*", alertstate="firing"}'),
        { step: "1m", titleFormat: "{{alertname}}", textFormat: "{{bot}}{{channel}} {{instance}}", useValueForTime: false },
      ),
    )
    .withVariable(
      withExtra(
        new dashboard.DatasourceVariableBuilder("datasource")
          .label("Data source")
          .type("prometheus")
          .current({ selected: false, text: "Prometheus", value: "secretary-prometheus" })
          .hide(dashboard.VariableHide.DontHide)
          .includeAll(false)
          .multi(false)
          .regex(""),
        { options: [], refresh: 1, skipUrlSync: false },
      ),
    )
    .withVariable(multiValue("bot", "Bot", "label_values(secretary_bot_info, bot)"))
    .withVariable(multiValue("check", "Check", 'label_values(secretary_check_state{bot=~"$bot"}, check)'));
  for (const { row, panels } of ROWS) {
    builder.withRow(row);
    for (const panel of panels) builder.withPanel(panel);
  }
  return { ...builder.build(), id: null };
}

/** Keys sorted at every level, 2-space indent, a trailing newline: the same bytes for the same dashboard. */
export function renderDashboard(): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    );
  };
  return `${JSON.stringify(sorted(buildDashboard()), null, 2)}\n`;
}
