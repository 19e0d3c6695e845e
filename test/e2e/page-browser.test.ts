import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import type { BotStatus, CheckResult, Health } from "../../src/model.ts";
import { fleetView, type FleetView } from "../../src/http/status-view.ts";
import { renderStatusPage } from "../../src/http/page.ts";
import { searchText } from "../../src/http/page-assets/render.ts";
import { pageCsp } from "../../src/http/status-page.ts";
import { post, startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { artifact, launchChromium, type Chromium } from "../support/browser.ts";
import { ensureDebianPackage } from "../support/debian.ts";

/** Telegram's text reaches the page through check messages: this one via getWebhookInfo's last_error_message. */
const PAYLOAD = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
const SEVERITY: Record<string, number> = { down: 0, unknown: 1, degraded: 2, healthy: 3 };
const INTERVAL = "2s";

/** Run in the page before its own script: CSP violations and the page's errors become visible to the test. */
const WATCH = `window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));`;

const js = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
/** page.waitForFunction evaluates strings with eval(), which the page's CSP forbids: poll instead. */
const waitFor = (page: Page, expression: string, timeoutMs = 5_000) => until(expression, () => js<boolean>(page, expression), timeoutMs);
const sectionsJs = `[...document.querySelectorAll("#bots > section.bot")]`;
const visibleBots = (page: Page) => js<string[]>(page, `${sectionsJs}.filter((s) => s.checkVisibility()).map((s) => s.id.slice(4))`);
/** Per bot, the texts the filter box searches (the `.f` elements), as the page's script joins them. */
const filterTexts = `Object.fromEntries(${sectionsJs}.map((s) => [s.id.slice(4), [...s.querySelectorAll(".f")].map((e) => e.textContent).join("\\n")]))`;
const allBots = (page: Page) => js<Array<{ name: string; health: string }>>(page, `${sectionsJs}.map((s) => ({ name: s.id.slice(4), health: s.dataset.health }))`);

/** Every page error, console error (but the 503 /status gives while a bot is down) and CSP violation. */
function problemsOf(page: Page): () => Promise<string[]> {
  const seen: string[] = [];
  page.on("pageerror", (e) => seen.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 503/.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  return async () => [...seen, ...(await js<string[]>(page, "window.__violations ?? ['no watcher']")).map((v) => `csp: ${v}`)];
}

type StatusBody = FleetView;

describe("the status page in headless Chromium, on the demo fleet", () => {
  let fleet: DemoFleet;
  let service: Service;
  let desktop: Chromium;
  const others: Chromium[] = [];

  const status = async () => (await (await fetch(`${service.url}/status`)).json()) as StatusBody;
  async function open(path: string, browser: Chromium = desktop): Promise<{ page: Page; problems: () => Promise<string[]> }> {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    const res = await page.goto(`${service.url}${path}`);
    expect(res?.status()).toBe(200);
    await waitFor(page, "document.documentElement.classList.contains('js')");
    return { page, problems };
  }

  /** Waits (at most a sweep, a refresh and slack) for the open page to show the bot with that health. */
  async function botReads(page: Page, name: string, health: Health): Promise<void> {
    await waitFor(page, `document.querySelector("#bot-${name}").dataset.health === "${health}"`, 12_000).catch(async (e: Error) => {
      const state = await js<unknown>(page, `({ refreshes: document.body.dataset.refreshes, hidden: document.hidden, live: document.querySelector("#live").innerText })`);
      const bot = (await status()).bots.find((b) => b.name === name);
      throw new Error(`${e.message}; page ${JSON.stringify(state)}; /status says ${name} is ${bot?.health}`);
    });
  }

  beforeAll(async () => {
    ensureDebianPackage("chromium", "/usr/bin/chromium");
    fleet = await startDemoFleet({ interval: INTERVAL, timeout: "1s" });
    await post(fleet.sandbox, "/_sandbox/bots/webhook_error_secretary_bot", { webhook: { lastErrorMessage: PAYLOAD } }, "PATCH");
    const config = loadConfigFile(fleet.configPath, { ...process.env, ...fleet.env });
    service = await startService({ config, logger: createLogger({ level: "warn", destination: new LogSink() }), port: 0, storeFlushMs: 50 });
    await until(
      "every bot's first sweep, with the payload in webhook-error's message",
      async () => {
        const s = await status();
        const webhook = s.bots.find((b) => b.name === "webhook-error")?.checks.find((c) => c.check === "webhook");
        return s.bots.every((b) => b.checks.length > 0) && webhook?.message?.includes(PAYLOAD);
      },
      20_000,
    );
    desktop = await launchChromium();
    await desktop.context.addInitScript(WATCH);
  }, 300_000);

  afterAll(async () => {
    for (const b of [desktop, ...others]) await b?.close();
    await service?.stop();
    await fleet?.sandbox.close();
  });

  it("when the page opens, then it shows the whole demo fleet worst first, failing checks with their fix, healthy bots on one line", async () => {
    const { page, problems } = await open("/");
    const bots = await allBots(page);
    const names = (await status()).bots.map((b) => b.name);
    expect(bots.map((b) => b.name).sort()).toEqual([...names].sort());
    expect(bots).toHaveLength(21);
    for (let i = 1; i < bots.length; i++) {
      const [a, b] = [bots[i - 1]!, bots[i]!];
      expect(SEVERITY[a.health]! < SEVERITY[b.health]! || (a.health === b.health && a.name.localeCompare(b.name) < 0), `${a.name} (${a.health}) before ${b.name} (${b.health})`).toBe(true);
    }
    expect(bots[0]!.health).toBe("down");

    const revoked = page.locator("#bot-revoked");
    await expect.poll(() => revoked.getAttribute("data-health")).toBe("down");
    const text = await revoked.innerText();
    expect(text).toMatch(/✖\s*DOWN/);
    expect(text).toContain("@revoked_secretary_bot");
    expect(text).toContain("Telegram answered 401 Unauthorized");
    expect(text).toMatch(/Fix: Open @BotFather/);
    expect(text).toMatch(/failing for \d+ s · since (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC/);
    expect(text).toContain("Not run until the above is fixed: identity, business-mode");

    const anna = page.locator("#bot-anna");
    expect(await anna.getAttribute("class")).toBe("bot h-healthy compact");
    expect(await anna.locator("li").count()).toBe(0);
    expect((await anna.boundingBox())!.height).toBeLessThan(50);
    expect(await anna.innerText()).toMatch(/HEALTHY\s+anna\s+@anna_secretary_bot\s+healthy for \d+ (s|min)\s+checked \d+ s ago/);

    // Summary counts agree with the list; the last sweep time is shown.
    const counts = await js<Record<string, string>>(page, `Object.fromEntries([...document.querySelectorAll("#summary .tile")].map((t) => [t.dataset.health, t.querySelector(".n").textContent]))`);
    for (const h of ["down", "unknown", "degraded", "healthy"]) expect(Number(counts[h]), h).toBe(bots.filter((b) => b.health === h).length);
    expect(await page.locator("#fleet").innerText()).toMatch(/\d+ of 21 bots need attention\s+Last sweep (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC · \d+ s ago/);
    expect(await page.title()).toMatch(/^✖ \d+ down, \d+ unknown, \d+ degraded · secretary-watch$/);

    await page.screenshot({ path: artifact("status-page-desktop.png"), fullPage: true });
    await page.screenshot({ path: artifact("status-page-desktop-top.png") });
    expect(await problems()).toEqual([]);
    await page.close();
  }, 60_000);

  it("when the page renders the demo fleet, then each bot's filter text is exactly what render.ts's searchText gives", async () => {
    const { page } = await open("/");
    // Messages carry ages ("failed 6 s ago"): pin one /status answer so page and test see the same data.
    const view = await status();
    await page.route("**/status", (route) => route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify(view) }));
    await js(page, "window.statusPage.refresh()");
    const shown = await js<Record<string, string>>(page, filterTexts);
    expect(Object.keys(shown)).toHaveLength(21);
    for (const bot of view.bots) expect(shown[bot.name], bot.name).toBe(searchText(bot));
    await page.close();
  });

  it("when a filter is typed, then only bots matching every word stay visible, the URL keeps it, and clearing it brings all back", async () => {
    const { page, problems } = await open("/");
    const box = page.locator("#q");
    await box.pressSequentially("unauthorized");
    expect(await visibleBots(page)).toEqual(["revoked"]);
    expect(await page.locator("#shown").innerText()).toBe("Showing 1 of 21 bots");
    expect(new URL(page.url()).search).toBe("?q=unauthorized");

    await box.fill("@anna_secretary");
    expect(await visibleBots(page)).toEqual(["anna"]);
    await box.fill("MALLORY");
    expect(await visibleBots(page)).toEqual(["wrong-owner"]);
    // Every word must match, anywhere in the bot's name, username, health or problem checks.
    await box.fill("connection disabled");
    expect(await visibleBots(page)).toEqual(["disabled"]);
    await box.fill("webhook");
    const webhookBots = await visibleBots(page);
    expect(webhookBots).toEqual(expect.arrayContaining(["webhook-error", "filtered-updates", "backlog"]));
    expect(webhookBots).not.toContain("anna");
    await page.screenshot({ path: artifact("status-page-filtered.png") });

    await box.fill("no-such-thing-anywhere");
    expect(await visibleBots(page)).toEqual([]);
    expect(await page.locator("#empty").innerText()).toBe("No bot matches “no-such-thing-anywhere”.");

    await box.press("Escape");
    expect(await box.inputValue()).toBe("");
    expect(await visibleBots(page)).toHaveLength(21);
    expect(await page.locator("#shown").innerText()).toBe("21 bots");
    expect(await page.locator("#empty").isVisible()).toBe(false);
    expect(new URL(page.url()).search).toBe("");

    // "/" focuses the box from anywhere.
    await page.locator("body").click({ position: { x: 5, y: 300 } });
    await page.keyboard.press("/");
    expect(await js<string>(page, "document.activeElement.id")).toBe("q");
    expect(await problems()).toEqual([]);
    await page.close();
  }, 40_000);

  it("when Telegram's text (a webhook error) carries <script> and an onerror <img>, then it stays inert and reads literally, also after a refresh", async () => {
    const { page, problems } = await open("/#bot-webhook-error");
    const check = async () => {
      expect(await js<unknown>(page, "window.__pwned")).toBeUndefined();
      expect(await js<number>(page, "document.scripts.length")).toBe(1);
      expect(await js<number>(page, "document.images.length")).toBe(0);
      // The webhook check's message: the bot's round-trip may add its own (slow under load) beside it.
      const webhookCheck = page.locator("#bot-webhook-error li.check").filter({ has: page.locator("b.cid", { hasText: /^webhook$/ }) });
      const message = await webhookCheck.locator(".msg").innerText();
      expect(message).toMatch(/^webhook delivery failed within the last \S+: /);
      expect(message).toContain(PAYLOAD);
      expect(await problems()).toEqual([]);
    };
    await check();
    // The in-place refresh renders from /status JSON with DOM APIs: the same text, still inert.
    await js(page, `(document.querySelector("#bot-webhook-error").__old = true, window.statusPage.refresh())`);
    expect(await js<unknown>(page, `document.querySelector("#bot-webhook-error").__old`)).toBeUndefined();
    await check();
    // The section an alert links to stays marked after the re-render.
    expect(await page.locator("#bot-webhook-error").getAttribute("class")).toContain("target");
    await page.close();
  });

  it("when the world changes, then the open page re-renders in place within an interval, without a reload", async () => {
    // no-inbound: degraded by a scope warning, and without the round-trip check (whose own 1 min schedule
    // would keep a failure from the revoked minutes): revoked it is down, restored degraded again.
    const bot = "no_inbound_secretary_bot";
    const { page, problems } = await open("/?refresh=2");
    expect(await page.locator("body").getAttribute("data-refresh")).toBe("2");
    await js(page, "window.__sameDocument = true");
    expect(await page.locator("#bot-no-inbound").getAttribute("data-health")).toBe("degraded");
    await post(fleet.sandbox, `/_sandbox/bots/${bot}`, { revoked: true }, "PATCH");
    try {
      await botReads(page, "no-inbound", "down");
      expect(await js<boolean>(page, "window.__sameDocument")).toBe(true);
      expect(Number(await page.locator("body").getAttribute("data-refreshes"))).toBeGreaterThanOrEqual(1);
      // Re-sorted: now among the down bots at the top.
      const bots = await allBots(page);
      expect(bots.findIndex((b) => b.name === "no-inbound")).toBeLessThan(bots.findIndex((b) => b.health !== "down"));
      expect(await page.locator("#bot-no-inbound").innerText()).toContain("Telegram answered 401 Unauthorized");
      expect(await page.locator("#live").innerText()).toBe("Live · refreshes every 2 s");
    } finally {
      await post(fleet.sandbox, `/_sandbox/bots/${bot}`, { revoked: false }, "PATCH");
    }
    await botReads(page, "no-inbound", "degraded");
    expect(await page.locator("#bot-no-inbound").innerText()).toContain("BUSINESS_PEER_USAGE_MISSING");
    expect(await js<boolean>(page, "window.__sameDocument")).toBe(true);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 40_000);

  it("when /status cannot be reached, then the page says it is not refreshing and keeps the last data", async () => {
    const { page, problems } = await open("/");
    await page.route("**/status", (route) => route.fulfill({ status: 502, body: "bad gateway" }));
    await js(page, "window.statusPage.refresh()");
    expect(await page.locator("#stale").innerText()).toMatch(/^Could not refresh \(GET \/status answered HTTP 502\): the page shows data from \d+ s ago\.$/);
    expect(await page.locator("#live").innerText()).toBe("Not refreshing");
    expect(await visibleBots(page)).toHaveLength(21);
    await page.unroute("**/status");
    await js(page, "window.statusPage.refresh()");
    expect(await page.locator("#stale").isVisible()).toBe(false);
    expect((await problems()).filter((p) => !/status of 502/.test(p))).toEqual([]);
    await page.close();
  });

  it("when JavaScript is off, then the server-rendered page lists the fleet worst first and the filter form filters", async () => {
    const noJs = await launchChromium({ javaScriptEnabled: false });
    others.push(noJs);
    const page = await noJs.context.newPage();
    await page.goto(`${service.url}/`);
    expect(await page.locator("#bots > section.bot").count()).toBe(21);
    expect(await page.locator("#bots > section.bot").first().getAttribute("data-health")).toBe("down");
    expect(await page.locator("noscript").count()).toBe(1);
    await page.locator("#q").fill("unauthorized");
    await page.locator("#filter button").click();
    await page.waitForURL(/\?q=unauthorized$/);
    expect(await page.locator("#bots > section.bot:visible").count()).toBe(1);
    expect(await page.locator("#bot-revoked").isVisible()).toBe(true);
    expect(await page.locator("#shown").innerText()).toBe("Showing 1 of 21 bots");
  }, 60_000);

  it("when read on a 390 px phone, then nothing overflows sideways, the filter works, and a screenshot is kept", async () => {
    const phone = await launchChromium({ viewport: { width: 390, height: 844 }, isMobile: true });
    others.push(phone);
    await phone.context.addInitScript(WATCH);
    const { page, problems } = await open("/", phone);
    expect(await js<number>(page, "window.innerWidth")).toBe(390);
    expect(await js<number>(page, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    const wide = await js<string[]>(page, `[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 390.5).map((e) => e.tagName + "." + e.className)`);
    expect(wide).toEqual([]);
    expect(await js<number>(page, `parseFloat(getComputedStyle(document.querySelector(".msg")).fontSize)`)).toBeGreaterThanOrEqual(14);
    await page.screenshot({ path: artifact("status-page-phone.png"), fullPage: true });
    await page.screenshot({ path: artifact("status-page-phone-top.png") });
    await page.locator("#q").fill("mallory");
    expect(await visibleBots(page)).toEqual(["wrong-owner"]);
    expect(await problems()).toEqual([]);
  }, 60_000);

  it("when badges are fetched, then each is a renderable SVG with the bot's health, no-cache, and 404 for an unknown bot", async () => {
    const page = await desktop.context.newPage();
    const healths = Object.fromEntries((await status()).bots.map((b) => [b.name, b.health]));
    const names = ["anna", "revoked", "backlog", "hung", "nobody"];
    for (const name of names) {
      const res = (await page.goto(`${service.url}/status/bots/${name}/badge.svg`))!;
      expect(res.status(), name).toBe(name === "nobody" ? 404 : 200);
      expect(res.headers()["content-type"]).toBe("image/svg+xml; charset=utf-8");
      expect(res.headers()["cache-control"]).toBe("no-cache");
      expect(await js<string>(page, "document.documentElement.localName"), name).toBe("svg");
      expect(await js<number>(page, "document.getElementsByTagName('parsererror').length")).toBe(0);
      expect(await js<string>(page, "document.querySelector('title').textContent")).toBe(`secretary: ${name === "nobody" ? "no such bot" : healths[name]}`);
    }
    // As a README shows them: <img> tags (a page made up on the service's origin: Chrome keeps other origins off loopback).
    const readme = `${service.url}/made-up-readme`;
    await page.route(readme, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<body style="margin:12px;font:14px sans-serif">${names.map((n) => `<p>${n}: <img src="${service.url}/status/bots/${n}/badge.svg"></p>`).join("")}</body>`,
      }),
    );
    await page.goto(readme);
    await waitFor(page, "[...document.images].every((i) => i.complete)");
    expect(await js<number[]>(page, "[...document.images].map((i) => i.naturalWidth)")).toEqual(names.map(() => expect.any(Number)));
    for (const size of await js<Array<[number, number]>>(page, "[...document.images].map((i) => [i.naturalWidth, i.naturalHeight])")) {
      expect(size[0]).toBeGreaterThan(60);
      expect(size[1]).toBe(20);
    }
    await page.screenshot({ path: artifact("badges.png"), clip: { x: 0, y: 0, width: 360, height: 260 } });
    await page.close();
  }, 30_000);
});

describe("the status page's in-place re-render in headless Chromium", () => {
  const NOW = Date.parse("2026-03-01T12:00:00.000Z");
  /** Days old: the ages read the same on the server and a second later in the browser. */
  const OLD = new Date(NOW - 3 * 86_400_000 - 30 * 60_000).toISOString();
  const evil = (field: string) => `<script>window.__pwned="${field}"</script><img src=x onerror="window.__pwned='${field}'">`;
  const check = (c: Partial<CheckResult> & Pick<CheckResult, "check" | "status">): CheckResult => ({ durationMs: 5, at: OLD, since: OLD, ...c });
  const status = (name: string, username: string, health: Health, checks: CheckResult[]): BotStatus => ({ name, username, health, since: OLD, checkedAt: OLD, checks, observed: {} });
  const bots = [
    { name: "evil", username: evil("username") },
    { name: "fine", username: "fine_bot" },
    { name: "slow", username: "slow_bot" },
    { name: "never", username: "never_bot" },
  ];
  const statuses: Record<string, BotStatus> = {
    evil: status("evil", evil("username"), "down", [
      check({ check: evil("check"), status: "fail", message: evil("message"), remediation: evil("remediation") }),
      check({ check: "webhook", status: "skipped", message: "skipped" }),
    ]),
    fine: status("fine", "fine_bot", "healthy", [check({ check: "token", status: "ok", message: "ok" })]),
    slow: status("slow", "slow_bot", "degraded", [check({ check: "webhook", status: "warn", message: "2500 updates pending", remediation: "Look at the backend." })]),
  };
  const view = fleetView(bots, (n) => statuses[n]);
  let browser: Chromium;

  beforeAll(async () => {
    browser = await launchChromium();
    await browser.context.addInitScript(WATCH);
  }, 300_000);
  afterAll(async () => browser?.close());

  it("when the page re-renders from /status JSON, then the markup equals the server's, and markup in every field (username too) stays text", async () => {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    const nonce = "dGVzdC1ub25jZQ==";
    await page.route("http://status.test/**", (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === "/status") return route.fulfill({ status: 503, contentType: "application/json", headers: { date: new Date(NOW).toUTCString() }, body: JSON.stringify(view) });
      return route.fulfill({
        status: 200,
        contentType: "text/html; charset=utf-8",
        headers: { "content-security-policy": pageCsp(nonce) },
        body: renderStatusPage(view, { refreshSeconds: 3600, nonce, now: NOW }),
      });
    });
    await page.goto("http://status.test/");
    await waitFor(page, "document.documentElement.classList.contains('js')");
    const snapshot = () => js<string[]>(page, `["#fleet", "#summary", "#bots"].map((s) => document.querySelector(s).outerHTML).concat(document.title)`);
    const server = await snapshot();
    await js(page, `(document.querySelector("#bot-evil").__old = true, window.statusPage.refresh())`);
    expect(await js<unknown>(page, `document.querySelector("#bot-evil").__old`)).toBeUndefined();
    const client = await snapshot();
    expect(client).toEqual(server);
    const shown = await js<Record<string, string>>(page, filterTexts);
    for (const bot of view.bots) expect(shown[bot.name], bot.name).toBe(searchText(bot));

    expect(await js<unknown>(page, "window.__pwned")).toBeUndefined();
    expect(await js<number>(page, "document.scripts.length")).toBe(1);
    expect(await js<number>(page, "document.images.length")).toBe(0);
    expect(await page.locator("#bot-evil .user").innerText()).toBe(`@${evil("username")}`);
    expect(await page.locator("#bot-evil .cid").innerText()).toBe(evil("check"));
    expect(await page.locator("#bot-evil .msg").innerText()).toBe(evil("message"));
    expect(await page.locator("#bot-evil .fix").innerText()).toBe(`Fix: ${evil("remediation")}`);
    expect(await page.locator("#bot-evil .since").innerText()).toBe("failing for 3 d · since 2026-02-26 11:30:00 UTC");
    // And filtering on such text works like any other.
    await page.locator("#q").fill("__pwned=\"username");
    expect(await visibleBots(page)).toEqual(["evil"]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 30_000);
});
