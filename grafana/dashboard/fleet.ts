/** Fleet: how many bots, how they are, what fires, how fresh the sweeps are, and the worst bots first. */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { statPanel, tablePanel } from "./panels.ts";
import { fixedColor, HEALTH_MAPPING, HEALTH_NUMBER, query, sortBy, thresholdColor, thresholds, valueMap, type Row } from "./shared.ts";

const healthNumber = `(\n    ${HEALTH_NUMBER.map((line) => line.replace(/^or /, "")).join("\n  or ")}\n)`;

export const fleet: Row = {
  row: new dashboard.RowBuilder("Fleet").id(1).gridPos({ x: 0, y: 0, w: 24, h: 1 }),
  panels: [
    statPanel({ id: 2, title: "Bots watched", description: "Bots watched by every secretary-watch instance (secretary_bots).", grid: { x: 0, y: 1, w: 3, h: 4 } })
      .withTarget(query("A", "sum(secretary_bots)", "bots"))
      .unit("short")
      .colorScheme(fixedColor("text"))
      .thresholds(thresholds("text")),
    statPanel({
      id: 3,
      title: "Bots by health",
      description: "Bots per health as of their last sweep. down: a down-impact check fails; degraded: another check fails or warns; unknown: the monitor could not tell.",
      grid: { x: 3, y: 1, w: 9, h: 4 },
    })
      .withTarget(query("A", 'sum by (health) (secretary_bot_health{bot=~"$bot"})', "{{health}}"))
      .unit("short")
      .colorScheme(fixedColor("text"))
      .thresholds(thresholds("text"))
      .textMode(common.BigValueTextMode.ValueAndName)
      .colorMode(common.BigValueColorMode.Background)
      .overrideByName("healthy", [{ id: "color", value: { mode: "fixed", fixedColor: "green" } }])
      .overrideByName("degraded", [{ id: "color", value: { mode: "fixed", fixedColor: "orange" } }])
      .overrideByName("unknown", [{ id: "color", value: { mode: "fixed", fixedColor: "blue" } }])
      .overrideByName("down", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }]),
    statPanel({
      id: 4,
      title: "Firing alerts",
      description: "Bot alerts firing in secretary-watch (after alerts.failAfter bad sweeps), by severity.",
      grid: { x: 12, y: 1, w: 5, h: 4 },
    })
      .withTarget(query("A", "sum by (health) (secretary_alerts_firing)", "{{health}}"))
      .unit("short")
      .colorScheme(thresholdColor())
      .thresholds(thresholds("green", [1, "red"]))
      .textMode(common.BigValueTextMode.ValueAndName)
      .colorMode(common.BigValueColorMode.Background),
    statPanel({
      id: 5,
      title: "Stalest bot: last sweep",
      description:
        "Time since the last recorded sweep of the bot swept longest ago. Sweeps are due every schedule.interval; the SecretaryMonitorStale alert fires past 15 minutes.",
      grid: { x: 17, y: 1, w: 4, h: 4 },
    })
      .withTarget(query("A", 'time() - min(max by (bot) (secretary_check_last_run_timestamp_seconds{bot=~"$bot"}))', "age"))
      .unit("s")
      .decimals(0)
      .colorScheme(thresholdColor())
      .thresholds(thresholds("green", [300, "orange"], [900, "red"])),
    statPanel({
      id: 6,
      title: "Notification outbox",
      description: "Notifications queued and not yet delivered (retried with back-off until delivered, refused for good or 24 h old).",
      grid: { x: 21, y: 1, w: 3, h: 4 },
    })
      .withTarget(query("A", "sum(secretary_notification_outbox_size)", "outbox"))
      .unit("short")
      .colorScheme(thresholdColor())
      .thresholds(thresholds("green", [1, "orange"], [20, "red"])),
    tablePanel({
      id: 7,
      title: "Bots, worst first, with their failing checks",
      description:
        "One row per failing, warning or unknown check of each bot (healthy bots: one row without a check), worst health first: down, unknown, degraded, healthy. The status page has each check's message and remediation.",
      grid: { x: 0, y: 5, w: 24, h: 10 },
    })
      .withTarget(
        query(
          "A",
          `${healthNumber}\n* on (bot) group_right\n  max by (bot, check, state) (secretary_check_state{bot=~"$bot", check=~"$check", state=~"fail|warn|unknown"} == 1)\nor on (bot)\n${healthNumber}`,
          "",
          { instant: true, table: true },
        ),
      )
      .withTransformation({
        id: "organize",
        options: {
          excludeByName: { Time: true },
          indexByName: { bot: 0, Value: 1, check: 2, state: 3 },
          renameByName: { bot: "Bot", Value: "Health", check: "Check", state: "State" },
        },
      })
      .align(common.FieldTextAlignment.Auto)
      .cellOptions({ type: common.TableCellDisplayMode.Auto })
      .filterable(true)
      .colorScheme(thresholdColor())
      .thresholds(thresholds("text"))
      .overrideByName("Health", [
        { id: "mappings", value: [HEALTH_MAPPING] },
        { id: "custom.cellOptions", value: { type: "color-background", mode: "basic" } },
        { id: "custom.width", value: 120 },
      ])
      .overrideByName("State", [
        {
          id: "mappings",
          value: [
            valueMap([
              ["ok", "ok", "green"],
              ["warn", "warn", "yellow"],
              ["fail", "fail", "red"],
              ["unknown", "unknown", "blue"],
            ]),
          ],
        },
        { id: "custom.cellOptions", value: { type: "color-text" } },
      ])
      .sortBy([sortBy("Health", true)]),
  ],
};
