import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryReader } from "../../src/history/history.ts";
import type { BotStatus } from "../../src/model.ts";
import { statusPageRouter } from "../../src/http/status-page.ts";
import { escapeHtml } from "../../src/http/page.ts";
import { barSummary, dayTitle, fmtRatio } from "../../src/http/page-history.ts";
import { LogSink } from "../support/service-harness.ts";
import { UNREACHABLE_CAUSE, unreachableHistory } from "../support/unreachable-history.ts";
import { BOTS, EVIL, NOW, STATUSES, dateAgo, fakeMonitor, historyFixture, type HistoryFixture } from "./page-history-fixture.ts";

/** The markup of one bot's section on `/` (sections do not nest). */
function section(html: string, name: string): string {
  const at = html.indexOf(`id="bot-${name}"`);
  expect(at, `section of ${name}`).toBeGreaterThan(0);
  return html.slice(html.lastIndexOf("<section", at), html.indexOf("</section>", at) + 10);
}
/** Each day cell of a bar: [class, title]. */
const cells = (html: string) => [...html.matchAll(/<i class="d ([^"]+)" title="([^"]+)"><\/i>/g)].map((m) => [m[1]!, m[2]!] as const);

async function serve(router: express.Router): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(router);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("the page's uptime and 90-day bars, from a store with 100 days of history", () => {
  let fixture: HistoryFixture;
  let site: { url: string; close(): Promise<void> };
  const get = async (path: string) => {
    const res = await fetch(`${site.url}${path}`);
    return { status: res.status, html: await res.text(), csp: res.headers.get("content-security-policy") };
  };

  beforeAll(async () => {
    fixture = historyFixture();
    const ghost = { name: "ghost", username: "ghost_secretary_bot" };
    site = await serve(statusPageRouter({ monitor: fakeMonitor([...BOTS, ghost]), history: fixture.store, clock: { wall: () => NOW } }));
  });
  afterAll(async () => {
    await site?.close();
    fixture?.close();
  });

  it("when / is asked, then each bot shows its 30-day uptime, linked to its page, and 90 cells, one per UTC day, coloured by the day's worst health with its downtime as the title", async () => {
    const { html } = await get("/");
    const anna = section(html, "anna");
    expect(anna).toContain('<a class="up" href="bots/anna" title="Uptime over the last 30 days: the bot&#39;s history">99.97 %<span class="sr"> up over 30 days</span></a>');
    const bar = cells(anna);
    expect(bar).toHaveLength(90);
    expect(bar[0]).toEqual(["h-healthy", `${dateAgo(89)}: no downtime`]);
    expect(bar[89 - 39]).toEqual(["none", `${dateAgo(39)}: no data`]);
    expect(bar[89 - 10]).toEqual(["h-degraded", `${dateAgo(10)}: degraded, not down`]);
    expect(bar[89 - 3]).toEqual(["h-down", `${dateAgo(3)}: down 12 min`]);
    expect(bar[89]).toEqual(["h-healthy", `${dateAgo(0)}: no downtime`]);
    expect(bar.filter(([c]) => c === "h-healthy")).toHaveLength(87);
    expect(anna).toContain('<span class="days small" role="img" aria-label="90 days: 1 day down, 1 degraded, 87 healthy, 1 no data, oldest first">');

    const newbie = cells(section(html, "newbie"));
    expect(newbie.slice(0, 85).every(([c, t]) => c === "none" && t.endsWith(": no data"))).toBe(true);
    expect(newbie.slice(85).map(([c]) => c)).toEqual(Array(5).fill("h-healthy"));
    expect(section(html, "newbie")).toContain(">100 %<");
    const revoked = section(html, "revoked");
    expect(cells(revoked)[89]).toEqual(["h-down", `${dateAgo(0)}: down 2 h`]);
    expect(revoked).toContain(">99.72 %<");
  });

  it("when a bot has no history yet, then its uptime reads 'no data' and its bar is 90 grey cells", async () => {
    const ghost = section((await get("/")).html, "ghost");
    expect(ghost).toContain('href="bots/ghost"');
    expect(ghost).toContain(">no data<");
    expect(cells(ghost)).toEqual(Array.from({ length: 90 }, (_, i) => ["none", `${dateAgo(89 - i)}: no data`]));
    expect(ghost).toContain('aria-label="90 days: 90 days no data, oldest first"');
  });

  it("when a bot's page is asked, then it shows up per window (known where part of it is a gap), the bar and its incident: start, fired, end, checks, who was told", async () => {
    const { status, html, csp } = await get("/bots/anna");
    expect(status).toBe(200);
    expect(csp).toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    expect(html).not.toContain("<script");
    expect(html).toContain('<a href="../">← All bots</a>');
    expect(html).toContain('<section class="bot h-healthy compact" id="bot-anna"');
    const windows = Object.fromEntries([...html.matchAll(/<div data-window="(\w+)"><dt>[^<]+<\/dt><dd>(.*?)<\/dd><\/div>/g)].map((m) => [m[1], m[2]!.replace(/<[^>]+>/g, "")]));
    expect(windows).toEqual({
      "24h": "100 % up",
      "7d": "99.88 % up",
      "30d": "99.97 % up",
      // The monitor was off 42 h of the 90 days: left out of the ratio, and said.
      "90d": "99.99 % upknown 98.05 % of the time",
    });
    expect(cells(html)).toHaveLength(90);
    expect(html).toContain('class="days large" role="img" aria-label="90 days: 1 day down, 1 degraded, 87 healthy, 1 no data, oldest first"');
    const incidents = [...html.matchAll(/<li class="incident /g)];
    expect(incidents).toHaveLength(1);
    const day = dateAgo(3);
    expect(html).toContain(`<b>Resolved after 12 min</b>`);
    expect(html).toContain(`Started <time datetime="${day}T14:00:00.000Z">${day} 14:00:00 UTC</time> · fired <time datetime="${day}T14:02:00.000Z">${day} 14:02:00 UTC</time> · <span>ended <time datetime="${day}T14:12:00.000Z">${day} 14:12:00 UTC</time></span>`);
    expect(html).toContain('<li><b class="cid">connection</b> fail: <span class="msg">the business connection is disabled</span></li>');
    expect(html).toContain(`Notified: ops-telegram (firing, sent, ${day} 14:02:00 UTC)`);
  });

  it("when a bot's incident is open and its check message carries markup, then it reads 'ongoing' and the message is escaped", async () => {
    const { html } = await get("/bots/revoked");
    expect(html).toContain("<b>Ongoing for 2 h</b>");
    expect(html).toContain('<span class="ongoing">ongoing</span>');
    expect(html).toContain(`<span class="msg">${escapeHtml(EVIL)}</span>`);
    expect(html).not.toContain("<img");
    expect(html).toContain("Notified: ops-mail (firing, failed, 13:03:00 UTC)");
    // Its failing check, as on `/`.
    expect(html).toContain('<b class="cid f">token</b><span class="msg f">Telegram answered 401 Unauthorized</span>');
  });

  it("when no bot has the name asked, then a 404 page names it escaped and links back", async () => {
    const { status, html } = await get(`/bots/${encodeURIComponent(`<img src=x onerror=alert(1)>`)}`);
    expect(status).toBe(404);
    expect(html).toContain("No bot is named “<b>&#60;img src=x onerror=alert(1)&#62;</b>”.");
    expect(html).not.toContain("<img");
    expect(html).toContain('<a href="../">← All bots</a>');
  });
});

describe("the page of a fleet bigger than a page", () => {
  const bots = Array.from({ length: 250 }, (_, i) => ({ name: `bot-${String(i).padStart(3, "0")}`, username: `b${i}_bot` }));
  const healthy = STATUSES.anna!;
  const statuses: Record<string, BotStatus> = Object.fromEntries(bots.map((b) => [b.name, { ...healthy, name: b.name, username: b.username }]));
  statuses["bot-200"] = { ...STATUSES.revoked!, name: "bot-200", username: "b200_bot" };
  let fixture: HistoryFixture;
  let site: { url: string; close(): Promise<void> };
  const reads = { fleetUptime: 0, bars: [] as string[][] };
  const page = async (query: string) => (await fetch(`${site.url}/${query}`)).text();

  beforeAll(async () => {
    fixture = historyFixture();
    const store = fixture.store;
    const counted: HistoryReader = Object.assign(Object.create(store) as HistoryReader, {
      fleetUptime: (now: number) => (reads.fleetUptime++, store.fleetUptime(now)),
      fleetBars: (now: number, days: number, names?: readonly string[]) => (reads.bars.push([...(names ?? [])]), store.fleetBars(now, days, names)),
      dailyBar: () => {
        throw new Error("the page reads no bar one bot at a time");
      },
    });
    site = await serve(statusPageRouter({ monitor: fakeMonitor(bots, statuses), history: counted, clock: { wall: () => NOW } }));
  });
  afterAll(async () => {
    await site?.close();
    fixture?.close();
  });

  const ids = (html: string) => [...html.matchAll(/<section class="bot[^"]*" id="bot-([^"]+)"/g)].map((m) => m[1]);

  it("when / is asked, then it renders 100 bots worst first, says which, links the next page, and reads the uptime once and the bars of those 100 only", async () => {
    reads.fleetUptime = 0;
    reads.bars = [];
    const html = await page("");
    expect(ids(html)).toEqual(["bot-200", ...bots.slice(0, 99).map((b) => b.name)]);
    expect(html).toContain('<span id="shown" class="shown" aria-live="polite">Showing 1–100 of 250 bots</span>');
    expect(html).toContain('<nav class="pager" aria-label="Pages"><span>Page 1 of 3</span><a href="?page=2" rel="next">Next →</a></nav>');
    expect(html).toContain('class="filter paged"');
    expect(html).toContain('<div id="bots" class="bots" data-page="1" data-q="">');
    expect(reads.fleetUptime).toBe(1);
    expect(reads.bars).toEqual([ids(html)]);
    expect(cells(html)).toHaveLength(100 * 90);
  });

  it("when a later page or a query is asked, then the page holds those bots, the pager keeps the query and refresh, and a page past the end shows the last", async () => {
    const third = await page("?page=3&refresh=60");
    expect(ids(third)).toEqual(bots.slice(199, 250).filter((b) => b.name !== "bot-200").map((b) => b.name));
    expect(third).toContain("Showing 201–250 of 250 bots");
    expect(third).toContain('<a href="?refresh=60&#38;page=2" rel="prev">← Previous</a><span>Page 3 of 3</span></nav>');
    expect(ids(await page("?page=99"))).toEqual(ids(third));
    const matching = await page("?q=HEALTHY&page=2");
    expect(ids(matching)).toEqual(bots.slice(100, 200).map((b) => b.name));
    expect(matching).toContain("Showing 101–200 of 249 matching bots (250 in all)");
    expect(matching).toContain('<a href="?q=HEALTHY&#38;page=3" rel="next">');
    expect(matching).toContain('data-q="HEALTHY"');
    const none = await page("?q=nothing-like-this");
    expect(ids(none)).toEqual([]);
    expect(none).toContain("Showing 0 of 250 bots");
    expect(none).toContain('<p id="empty" class="empty">No bot matches');
  });
});

describe("the pages when the history store cannot be reached", () => {
  let site: { url: string; close(): Promise<void> };
  const logs = new LogSink();
  const failures = () => logs.text.split("\n").filter((line) => line.includes("history read failed")).length;
  const get = async (path: string) => {
    const res = await fetch(`${site.url}${path}`);
    return { status: res.status, html: await res.text() };
  };

  beforeAll(async () => {
    site = await serve(statusPageRouter({ monitor: fakeMonitor(), history: unreachableHistory().history, logger: pino({ level: "info" }, logs), clock: { wall: () => NOW } }));
  });
  afterAll(async () => {
    await site?.close();
  });

  it("when / is asked, then it renders every bot's live verdict without uptime or bars, and logs the failure once", async () => {
    const before = failures();
    const { status, html } = await get("/");
    expect(status).toBe(200);
    for (const bot of BOTS) expect(section(html, bot.name)).toContain(`id="bot-${bot.name}"`);
    expect(section(html, "revoked")).toContain("Telegram answered 401 Unauthorized");
    expect(html).not.toContain('class="hist"');
    expect(cells(html)).toEqual([]);
    expect(failures() - before).toBe(1);
    expect(logs.text).toContain("history read failed; the page renders without uptime and bars");
    expect(logs.text).toContain(UNREACHABLE_CAUSE);
    expect(html).not.toContain("db.internal");
  });

  it("when a bot's page is asked, then it renders the bot as on / and says its history cannot be read now, logged once", async () => {
    const before = failures();
    const { status, html } = await get("/bots/revoked");
    expect(status).toBe(200);
    expect(html).toContain('<b class="cid f">token</b><span class="msg f">Telegram answered 401 Unauthorized</span>');
    expect(html).toContain("The history cannot be read right now: no uptime or incidents to show.");
    expect(html).not.toContain("keeps no history");
    expect(html).not.toContain("data-window=");
    expect(cells(html)).toEqual([]);
    expect(failures() - before).toBe(1);
    expect(html).not.toContain("db.internal");
  });
});

describe("the history marks' words", () => {
  const cell = (worst: "healthy" | "degraded" | "down" | null, downMs = 0) => ({ date: "2026-11-03", from: 0, worst, downMs, knownMs: worst ? 86_400_000 : 0 });

  it("when a ratio is formatted, then it is floored to two decimals (never 100 % short of it) and 'no data' without known time", () => {
    expect([1, 0.99999, 0.9995, 0.5, 0, null, undefined].map(fmtRatio)).toEqual(["100 %", "99.99 %", "99.95 %", "50.00 %", "0.00 %", "no data", "no data"]);
  });

  it("when a day's title and a bar's summary are written, then they say the downtime and count the days by worst health", () => {
    expect([cell("down", 12 * 60_000), cell("down", 3_660_000), cell("degraded"), cell("healthy"), cell(null)].map(dayTitle)).toEqual([
      "2026-11-03: down 12 min", "2026-11-03: down 1 h 1 min", "2026-11-03: degraded, not down", "2026-11-03: no downtime", "2026-11-03: no data",
    ]);
    expect(barSummary([cell("healthy"), cell("healthy"), cell(null)])).toBe("3 days: 2 days healthy, 1 no data");
    expect(barSummary([cell("down", 1), cell("degraded")])).toBe("2 days: 1 day down, 1 degraded");
  });
});
