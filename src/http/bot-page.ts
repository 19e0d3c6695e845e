import type { Incident } from "../history/incidents.ts";
import type { DayCell } from "../history/uptime.ts";
import type { UptimeWindow, WindowUptimes } from "../history/history.ts";
import type { BotView } from "./status-view.ts";
import { escapeHtml, h, pageHead, type Html } from "./page.ts";
import { botSection, fmtClock, fmtDuration } from "./page-assets/render.ts";
import { BAR_DAYS, dayBar, fmtRatio } from "./page-history.ts";

/** What a bot's page shows of its history; absent when the service keeps none, "unreadable" when its store failed. */
export interface BotPageHistory {
  uptime: WindowUptimes;
  bar: readonly DayCell[];
  /** Newest first. */
  incidents: readonly Incident[];
}

export interface BotPageOptions {
  /** Seconds between full reloads (the page has no script). */
  refreshSeconds: number;
  /** Epoch ms (tests fix it). */
  now?: number;
}

const WINDOW_NAMES: Record<UptimeWindow, string> = { "24h": "24 h", "7d": "7 d", "30d": "30 d", "90d": "90 d" };
const SEVERITY_WORD: Record<string, string> = { down: "Down", degraded: "Degraded" };

const iso = (ms: number) => new Date(ms).toISOString();

/** Up over each window; the known share where part of it is a gap (the monitor off, the bot not seen yet). */
function uptimePanel(uptime: WindowUptimes): Html {
  return h("section", { class: "panel", "aria-labelledby": "uptime-h" }, [
    h("h2", { id: "uptime-h" }, ["Uptime"]),
    h(
      "dl",
      { class: "windows" },
      (Object.keys(WINDOW_NAMES) as UptimeWindow[]).map((w) => {
        const u = uptime[w];
        const partial = u.known !== null && u.known < 1;
        return h("div", { "data-window": w }, [
          h("dt", {}, [`Last ${WINDOW_NAMES[w]}`]),
          h("dd", {}, [fmtRatio(u.up), u.up !== null ? h("span", { class: "sr" }, [" up"]) : null, partial ? h("span", { class: "known" }, [`known ${fmtRatio(u.known)} of the time`]) : null]),
        ]);
      }),
    ),
  ]);
}

function barPanel(bar: readonly DayCell[]): Html {
  return h("section", { class: "panel", "aria-labelledby": "bar-h" }, [
    h("h2", { id: "bar-h" }, [`Last ${bar.length} days`]),
    dayBar(bar, "large"),
    h("div", { class: "days-scale", "aria-hidden": "true" }, [h("span", {}, [bar[0]?.date ?? ""]), h("span", {}, ["today (UTC)"])]),
  ]);
}

/** One incident: worst, open or resolved, start / fired / end, the failing checks, who was told, silenced. */
function incidentItem(i: Incident, now: number): Html {
  const ended = i.end !== null;
  const told = i.notifications.map((n) => `${n.channel} (${n.kind}, ${n.result}, ${fmtClock(iso(n.at), now)})`);
  return h("li", { class: `incident h-${i.worst}`, "data-incident": i.id }, [
    h("div", { class: "incident-head" }, [
      h("span", { class: `chip h-${i.worst}` }, [SEVERITY_WORD[i.worst] ?? i.worst]),
      h("b", {}, [ended ? `Resolved after ${fmtDuration(i.end! - i.start)}` : `Ongoing for ${fmtDuration(now - i.start)}`]),
      i.silenced ? h("span", { class: "chip s-skipped" }, ["Silenced"]) : null,
    ]),
    h("p", { class: "times" }, [
      "Started ",
      h("time", { datetime: iso(i.start) }, [fmtClock(iso(i.start), now)]),
      " · fired ",
      h("time", { datetime: iso(i.firedAt) }, [fmtClock(iso(i.firedAt), now)]),
      " · ",
      ended ? h("span", {}, ["ended ", h("time", { datetime: iso(i.end!) }, [fmtClock(iso(i.end!), now)])]) : h("span", { class: "ongoing" }, ["ongoing"]),
    ]),
    i.checks.length
      ? h(
          "ul",
          { class: "failing" },
          i.checks.map((c) => h("li", {}, [h("b", { class: "cid" }, [c.check]), ` ${c.status}: `, h("span", { class: "msg" }, [c.message])])),
        )
      : null,
    h("p", { class: "told" }, [told.length ? `Notified: ${told.join(", ")}` : "Nobody was notified"]),
  ]);
}

function incidentsPanel(incidents: readonly Incident[], now: number): Html {
  return h("section", { class: "panel", "aria-labelledby": "incidents-h" }, [
    h("h2", { id: "incidents-h" }, ["Incidents"]),
    incidents.length ? h("ol", { class: "incidents", reversed: true }, incidents.map((i) => incidentItem(i, now))) : h("p", { class: "none-yet" }, ["No incident recorded."]),
  ]);
}

function document(title: string, refreshSeconds: number | null, main: Html[]): string {
  return `<!doctype html>
<html lang="en">
${pageHead(title, refreshSeconds === null ? "" : `<meta http-equiv="refresh" content="${escapeHtml(refreshSeconds)}">`)}
<body>
<header class="top"><div class="wrap bar"><span class="brand">secretary-watch <small>Secretary Mode bots</small></span></div></header>
<main class="wrap">
<p class="crumbs"><a href="../">← All bots</a></p>
${main.map((m) => m.html).join("\n")}
</main>
</body>
</html>
`;
}

/**
 * `GET /bots/:name`: the bot as on `/` (health, failing checks with their fix), its uptime per window,
 * its 90-day bar and its incident timeline, newest first. No script: it reloads itself.
 */
export function renderBotPage(bot: BotView, history: BotPageHistory | "unreadable" | undefined, o: BotPageOptions): string {
  const now = o.now ?? Date.now();
  const main = [botSection(h, bot, now, false)];
  if (history === "unreadable") main.push(h("p", { class: "panel none-yet" }, ["The history cannot be read right now: no uptime or incidents to show. The bot's health above is live."]));
  else if (history) main.push(uptimePanel(history.uptime), barPanel(history.bar.slice(-BAR_DAYS)), incidentsPanel(history.incidents, now));
  else main.push(h("p", { class: "panel none-yet" }, ["This service keeps no history: no uptime or incidents to show."]));
  return document(`${bot.name} · secretary-watch`, o.refreshSeconds, main);
}

/** The 404 page of `/bots/:name`: names the bot asked for (escaped) and links back. */
export function renderBotNotFound(name: string): string {
  return document("No such bot · secretary-watch", null, [h("p", { class: "panel" }, ["No bot is named “", h("b", {}, [name]), "”."])]);
}
