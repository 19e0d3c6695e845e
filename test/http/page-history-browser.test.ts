import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { statusPageRouter } from "../../src/http/status-page.ts";
import { artifact, launchChromium, type Chromium } from "../support/browser.ts";
import { until } from "../support/service-harness.ts";
import { EVIL, NOW, dateAgo, fakeMonitor, historyFixture, type HistoryFixture } from "./page-history-fixture.ts";

/** The page's colours (page.css, light scheme) as Chromium computes them. */
const COLOURS = { healthy: "rgb(26, 127, 55)", degraded: "rgb(154, 103, 0)", down: "rgb(209, 36, 47)", none: "rgb(209, 217, 224)" };
const js = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
/** Each cell of the bar under `selector`: its computed colour and its title. */
const barOf = (page: Page, selector: string) =>
  js<Array<{ colour: string; title: string }>>(page, `[...document.querySelectorAll(${JSON.stringify(selector)} + " .days .d")].map((d) => ({ colour: getComputedStyle(d).backgroundColor, title: d.title }))`);

describe("the page's uptime, bars and bot pages in headless Chromium, from a store with 100 days of history", () => {
  let fixture: HistoryFixture;
  let server: Server;
  let url: string;
  const browsers: Chromium[] = [];
  const launch = async (options: Parameters<typeof launchChromium>[0]) => {
    const b = await launchChromium(options);
    browsers.push(b);
    return b;
  };

  beforeAll(async () => {
    fixture = historyFixture();
    const app = express();
    app.use(statusPageRouter({ monitor: fakeMonitor(), history: fixture.store, clock: { wall: () => NOW } }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    fixture?.close();
  });

  it("when JavaScript is off, then each bot's bar has 90 cells in its days' colours with their downtime as tooltips, and the uptime links to the bot's page", async () => {
    const browser = await launch({ javaScriptEnabled: false });
    const page = await browser.context.newPage();
    await page.goto(`${url}/`);
    const anna = await barOf(page, "#bot-anna");
    expect(anna).toHaveLength(90);
    expect(anna[89 - 3]).toEqual({ colour: COLOURS.down, title: `${dateAgo(3)}: down 12 min` });
    expect(anna[89 - 10]).toEqual({ colour: COLOURS.degraded, title: `${dateAgo(10)}: degraded, not down` });
    expect(anna[89 - 39]).toEqual({ colour: COLOURS.none, title: `${dateAgo(39)}: no data` });
    expect(anna.filter((c) => c.colour === COLOURS.healthy)).toHaveLength(87);
    // Every cell is drawn: a visible width and height.
    const sizes = await js<Array<[number, number]>>(page, `[...document.querySelectorAll("#bot-anna .days .d")].map((d) => [d.getBoundingClientRect().width, d.getBoundingClientRect().height])`);
    expect(sizes.every(([w, h]) => w >= 1.5 && h >= 10)).toBe(true);
    expect(await page.locator("#bot-anna .days").getAttribute("aria-label")).toBe("90 days: 1 day down, 1 degraded, 87 healthy, 1 no data, oldest first");
    expect((await barOf(page, "#bot-revoked"))[89]).toEqual({ colour: COLOURS.down, title: `${dateAgo(0)}: down 2 h` });
    expect(await page.locator("#bot-anna a.up").innerText()).toBe("99.97 %\nup over 30 days"); // the second line is for screen readers only (.sr)
    // A healthy bot is still one line, its bar on it.
    expect((await page.locator("#bot-anna").boundingBox())!.height).toBeLessThan(50);
    await page.screenshot({ path: artifact("status-page-history.png") });

    await page.locator("#bot-revoked a.up").click();
    await page.waitForURL(`${url}/bots/revoked`);
    expect(await page.locator("h2").allInnerTexts()).toEqual(["Uptime", "Last 90 days", "Incidents"]);
    const incident = page.locator("li.incident");
    expect(await incident.count()).toBe(1);
    const text = await incident.innerText();
    expect(text).toMatch(/^DOWN\s+Ongoing for 2 h/);
    expect(text).toContain("Started 13:00:00 UTC · fired 13:02:00 UTC · ongoing");
    expect(text).toContain(`token fail: ${EVIL}`);
    expect(text).toContain("Notified: ops-mail (firing, failed, 13:03:00 UTC)");
    expect(await js<number>(page, "document.images.length")).toBe(0);
    expect(await page.locator("#bot-revoked .msg").innerText()).toBe("Telegram answered 401 Unauthorized");
    expect(await page.locator(`[data-window="30d"] dd`).innerText()).toBe("99.72 %\nup");
    expect(await barOf(page, "main")).toHaveLength(90);
    await page.locator("text=← All bots").click();
    await page.waitForURL(`${url}/`);
  }, 120_000);

  it("when read on a 390 px phone, then neither `/` nor a bot's page scrolls sideways and the bar keeps its 90 cells", async () => {
    const phone = await launch({ viewport: { width: 390, height: 844 }, isMobile: true, javaScriptEnabled: false });
    const page = await phone.context.newPage();
    for (const path of ["/", "/bots/anna", "/bots/revoked"]) {
      await page.goto(`${url}${path}`);
      expect(await js<number>(page, "window.innerWidth"), path).toBe(390);
      expect(await js<number>(page, "document.documentElement.scrollWidth"), path).toBeLessThanOrEqual(390);
      const wide = await js<string[]>(page, `[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 390.5).map((e) => e.tagName + "." + e.className)`);
      expect(wide, path).toEqual([]);
      const widths = await js<number[]>(page, `[...document.querySelectorAll(".days")].map((d) => d.querySelectorAll(".d").length)`);
      expect(widths.length, path).toBeGreaterThan(0);
      expect(widths.every((n) => n === 90), path).toBe(true);
      await page.screenshot({ path: artifact(`history-phone${path.replaceAll("/", "-")}.png`), fullPage: true });
    }
  }, 120_000);

  it("when the page refreshes in place with JavaScript on, then each bot keeps its uptime and bar (GET /status carries none)", async () => {
    const browser = await launch({});
    const page = await browser.context.newPage();
    await page.route(`${url}/status`, (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        headers: { date: new Date(NOW).toUTCString() },
        body: JSON.stringify({
          status: "down",
          checkedAt: new Date(NOW - 5_000).toISOString(),
          bots: ["revoked", "anna", "newbie"].map((name) => ({ name, username: `${name}_secretary_bot`, labels: {}, health: name === "revoked" ? "down" : "healthy", since: new Date(NOW - 7_200_000).toISOString(), checks: [] })),
        }),
      }),
    );
    await page.goto(`${url}/`);
    await until("the page's script started", () => js<boolean>(page, "document.documentElement.classList.contains('js')"), 10_000);
    const before = await js<string[]>(page, `[...document.querySelectorAll("#bots .hist")].map((e) => e.outerHTML)`);
    expect(before).toHaveLength(3);
    await js(page, `(document.querySelector("#bot-anna").__old = true, window.statusPage.refresh())`);
    expect(await js<unknown>(page, `document.querySelector("#bot-anna").__old`)).toBeUndefined();
    expect(await js<string[]>(page, `[...document.querySelectorAll("#bots .hist")].map((e) => e.outerHTML)`)).toEqual(before);
    expect(await barOf(page, "#bot-anna")).toHaveLength(90);
  }, 120_000);
});
