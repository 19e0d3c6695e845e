import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import YAML from "yaml";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService, type Service } from "../../src/service.ts";
import type { BotStatus, CheckResult } from "../../src/model.ts";
import type { AlertState } from "../../src/alerts/state-machine.ts";
import { fleetView, type AlertSource, type FleetView } from "../../src/http/status-view.ts";
import { renderStatusPage } from "../../src/http/page.ts";
import { searchText } from "../../src/http/page-assets/render.ts";
import { pageCsp } from "../../src/http/status-page.ts";
import { startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";
import { LogSink, until } from "../support/service-harness.ts";
import { artifact, launchChromium, type Chromium } from "../support/browser.ts";

const ADMIN_TOKEN = "e2e-admin-token-5f3a9c";
const js = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
/** page.waitForFunction evaluates strings with eval(), which the page's CSP forbids: poll instead. */
const waitFor = (page: Page, expression: string, timeoutMs = 5_000) => until(expression, () => js<boolean>(page, expression), timeoutMs);
const text = (page: Page, selector: string) => page.locator(selector).innerText();

/**
 * Acceptance 4 of issue 11: on the demo fleet, `revoked` fires (and its ops-telegram message goes out),
 * then an admin API silence mutes it; `backlog` fires inside a config maintenance window (nobody told);
 * `anna`, healthy, is silenced by her label. The page, with JavaScript and without, and /status show it all.
 */
describe("alerts and silences on the status page in headless Chromium, on the demo fleet", () => {
  let fleet: DemoFleet;
  let service: Service;
  let browser: Chromium;
  const others: Chromium[] = [];
  const status = async () => (await (await fetch(`${service.url}/status`)).json()) as FleetView;
  const bot = async (name: string) => (await status()).bots.find((b) => b.name === name)!;
  const admin = (path: string, body: unknown) =>
    fetch(`${service.url}/api/v1${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    fleet = await startDemoFleet({ interval: "2s", timeout: "1s" });
    const config = YAML.parse(readFileSync(fleet.configPath, "utf8"));
    config.server.adminToken = ADMIN_TOKEN;
    config.alerts.maintenance = [{ bots: ["backlog"], start: new Date(Date.now() - 60_000).toISOString(), duration: "2h", reason: "backend migration" }];
    writeFileSync(fleet.configPath, YAML.stringify(config));
    service = await startService({ config: loadConfigFile(fleet.configPath, { ...process.env, ...fleet.env }), logger: createLogger({ level: "warn", destination: new LogSink() }), port: 0, storeFlushMs: 50 });
    // failAfter 2 at a 2 s interval: revoked fires after its second sweep, and the sandbox takes the message.
    await until("revoked's alert told to ops-telegram, backlog's firing in maintenance", async () => {
      const [revoked, backlog] = [await bot("revoked"), await bot("backlog")];
      return revoked.alert?.notified.includes("ops-telegram") && backlog.alert?.state === "firing" ? true : undefined;
    }, 30_000);
    const created = await admin("/silences", { matchers: { name: "revoked" }, duration: "1h", reason: "token rotation in progress", createdBy: "e2e" });
    expect(created.status).toBe(201);
    expect((await admin("/silences", { matchers: { tier: "vip" }, duration: "30m", reason: "VIP onboarding call" })).status).toBe(201);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    for (const b of [browser, ...others]) await b?.close();
    await service?.stop();
    await fleet?.sandbox.close();
  });

  it("when an alert fires and a silence is created, then /status shows the alert (since, who was told) and the silence (until, why, by what), labels too", async () => {
    const revoked = await bot("revoked");
    expect(revoked.alert).toMatchObject({ state: "firing", severity: "down", notified: ["ops-telegram"], undelivered: [], firesAfter: 2 });
    expect(revoked.alert!.firedAt! > revoked.alert!.startsAt).toBe(true);
    expect(revoked.alert!.lastNotifiedAt).toBe(revoked.alert!.firedAt);
    expect(revoked.silenced).toMatchObject({ by: "silence", reason: "token rotation in progress", createdBy: "e2e" });
    expect(Date.parse(revoked.silenced!.endsAt) - Date.parse(revoked.silenced!.startsAt)).toBe(3_600_000);

    const backlog = await bot("backlog");
    expect(backlog.alert).toMatchObject({ state: "firing", severity: "degraded", notified: [] });
    expect(backlog.silenced).toMatchObject({ by: "maintenance", reason: "backend migration", createdBy: "config:alerts.maintenance" });

    const anna = await bot("anna");
    expect(anna).toMatchObject({ health: "healthy", labels: { tier: "vip" }, alert: null, silenced: { by: "silence", reason: "VIP onboarding call" } });
    // A bot with nothing going on says so.
    expect(await bot("rate-limited")).toMatchObject({ silenced: null });

    const one = (await (await fetch(`${service.url}/status/bots/revoked`)).json()) as FleetView["bots"][number];
    expect(one.alert).toEqual(revoked.alert);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('secretary_alert_firing{bot="revoked"} 1\n');
    expect(metrics).toContain('secretary_alert_firing{bot="anna"} 0\n');
    expect(metrics).toContain('secretary_silences_active{kind="silence"} 2\n');
    expect(metrics).toContain('secretary_silences_active{kind="maintenance"} 1\n');
    expect(metrics).toMatch(/^secretary_notifications_total\{channel="ops-telegram",kind="firing",result="sent"\} [1-9]/m);
    expect(metrics).toContain('secretary_notifications_total{channel="ops-telegram",kind="resolved",result="dropped"} 0\n');
  });

  it("when the page opens, then each bot shows its alert firing since when and who was told, its silence until when and why, and its labels; also after a refresh", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${service.url}/`);
    await waitFor(page, "document.documentElement.classList.contains('js')");
    const check = async () => {
      expect(await text(page, "#bot-revoked .alert")).toMatch(/^Alert firing \(down\) since (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC, for \d+ s · told ops-telegram$/);
      expect(await text(page, "#bot-revoked .silenced")).toMatch(
        /^Silenced until (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC \(59 min more\): token rotation in progress · by e2e · notifications muted, checks still run$/,
      );
      expect(await text(page, "#bot-backlog .alert")).toMatch(/^Alert firing \(degraded\) since (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC, for \d+ s · nobody told$/);
      expect(await text(page, "#bot-backlog .silenced")).toMatch(/^In maintenance until (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC \(1 h 5\d min more\): backend migration · by config:alerts\.maintenance/);
      expect(await text(page, "#bot-anna .silenced")).toMatch(/^Silenced until (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC \(29 min more\): VIP onboarding call/);
      expect(await page.locator("#bot-anna .alert").count()).toBe(0);
      expect(await text(page, "#bot-anna .labels")).toBe("tier=vip");
      // Silenced, so not one line any more.
      expect(await page.locator("#bot-anna").getAttribute("class")).toBe("bot h-healthy");
      expect(await page.locator("#bot-rate-limited .silenced").count()).toBe(0);
    };
    await check();
    await js(page, `(document.querySelector("#bot-revoked").__old = true, window.statusPage.refresh())`);
    expect(await js<unknown>(page, `document.querySelector("#bot-revoked").__old`)).toBeUndefined();
    await check();
    // The filter finds silenced and firing bots by those words, and bots by label.
    await page.locator("#q").fill("maintenance");
    expect(await js<string[]>(page, `[...document.querySelectorAll("#bots > section.bot")].filter((s) => s.checkVisibility()).map((s) => s.id.slice(4))`)).toEqual(["backlog"]);
    await page.locator("#q").fill("tier=vip");
    expect(await js<string[]>(page, `[...document.querySelectorAll("#bots > section.bot")].filter((s) => s.checkVisibility()).map((s) => s.id.slice(4))`)).toEqual(["anna"]);
    await page.locator("#q").fill("");
    await page.locator("#bot-revoked").screenshot({ path: artifact("status-page-alert-silenced.png") });
    await page.close();
  }, 40_000);

  it("when JavaScript is off, then the server-rendered page shows the same alert and silence lines", async () => {
    const noJs = await launchChromium({ javaScriptEnabled: false });
    others.push(noJs);
    const page = await noJs.context.newPage();
    await page.goto(`${service.url}/`);
    expect(await text(page, "#bot-revoked .alert")).toMatch(/^Alert firing \(down\) since (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC, for \d+ s · told ops-telegram$/);
    expect(await text(page, "#bot-revoked .silenced")).toMatch(/^Silenced until (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC \(59 min more\): token rotation in progress/);
    expect(await text(page, "#bot-backlog .silenced")).toMatch(/^In maintenance until/);
    expect(await text(page, "#bot-anna .labels")).toBe("tier=vip");
  }, 60_000);
});

describe("alert, silence, label and pending markup in the page's in-place re-render, in headless Chromium", () => {
  const NOW = Date.parse("2026-03-01T12:00:00.000Z");
  /** Days away: the ages read the same on the server and a second later in the browser. */
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  const DAY = 86_400_000;
  const check = (c: Pick<CheckResult, "check" | "status">): CheckResult => ({ durationMs: 5, at: at(-3 * DAY), since: at(-3 * DAY - 1_800_000), ...c });
  const evil = (field: string) => `<script>window.__pwned="${field}"</script><img src=x onerror="window.__pwned='${field}'">`;
  const statuses: Record<string, BotStatus> = {
    loud: { name: "loud", username: "loud_bot", health: "down", since: at(-3 * DAY), checkedAt: at(-3 * DAY), checks: [check({ check: "token", status: "fail" })], observed: {} },
    quiet: { name: "quiet", username: "quiet_bot", health: "healthy", since: at(-3 * DAY), checkedAt: at(-3 * DAY), checks: [check({ check: "token", status: "ok" })], observed: {} },
  };
  const alerts: Record<string, AlertState> = {
    loud: { badStreak: 9, badSince: at(-3 * DAY), badWorst: "down", goodStreak: 0, firing: { since: at(-3 * DAY), severity: "down", notified: { severity: "down", at: at(-2 * DAY) }, firedAt: at(-3 * DAY), deliveredTo: { [evil("channel")]: at(-2 * DAY) } } },
  };
  const source: AlertSource = {
    alertState: (n) => alerts[n],
    failAfter: 2,
    silences: () => ({
      maintenance: [],
      silences: [{ id: "s1", matchers: { team: "a" }, startsAt: at(-DAY), endsAt: at(2 * DAY + 5.5 * 3_600_000), reason: evil("reason"), createdBy: evil("createdBy") }],
    }),
    undelivered: () => new Map([["loud", ["mail"]]]),
  };
  const view = fleetView(
    [{ name: "loud", username: "loud_bot", labels: { team: "a", [evil("label")]: evil("value") } }, { name: "quiet", username: "quiet_bot", labels: { team: "a" } }, { name: "new", username: "new_bot" }],
    (n) => statuses[n],
    source,
    new Date(NOW),
  );
  let browser: Chromium;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => browser?.close());

  it("when the page re-renders from /status JSON, then the alert, silence, label and pending markup equals the server's, and markup in them stays text", async () => {
    expect(view.bots.map((b) => [b.name, b.health, b.alert?.state ?? null, b.silenced?.id ?? null])).toEqual([["loud", "down", "firing", "s1"], ["quiet", "healthy", null, "s1"], ["new", "pending", null, null]]);
    const page = await browser.context.newPage();
    const nonce = "dGVzdC1ub25jZQ==";
    await page.route("http://status.test/**", (route) => {
      if (new URL(route.request().url()).pathname === "/status")
        return route.fulfill({ status: 503, contentType: "application/json", headers: { date: new Date(NOW).toUTCString() }, body: JSON.stringify(view) });
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", headers: { "content-security-policy": pageCsp(nonce) }, body: renderStatusPage(view, { refreshSeconds: 3600, nonce, now: NOW }) });
    });
    await page.goto("http://status.test/");
    await waitFor(page, "document.documentElement.classList.contains('js')");
    const snapshot = () => js<string[]>(page, `["#fleet", "#summary", "#bots"].map((s) => document.querySelector(s).outerHTML).concat(document.title)`);
    const server = await snapshot();
    await js(page, `(document.querySelector("#bot-loud").__old = true, window.statusPage.refresh())`);
    expect(await js<unknown>(page, `document.querySelector("#bot-loud").__old`)).toBeUndefined();
    expect(await snapshot()).toEqual(server);
    const shown = await js<Record<string, string>>(page, `Object.fromEntries([...document.querySelectorAll("#bots > section.bot")].map((s) => [s.id.slice(4), [...s.querySelectorAll(".f")].map((e) => e.textContent).join("\\n")]))`);
    for (const bot of view.bots) expect(shown[bot.name], bot.name).toBe(searchText(bot));

    expect(await js<unknown>(page, "window.__pwned")).toBeUndefined();
    expect(await js<number>(page, "document.images.length")).toBe(0);
    expect(await text(page, "#bot-loud .alert")).toBe(`Alert firing (down) since 2026-02-26 12:00:00 UTC, for 3 d · told ${evil("channel")} · still sending to mail`);
    expect(await text(page, "#bot-loud .silenced")).toBe(`Silenced until 2026-03-03 17:30:00 UTC (2 d 5 h more): ${evil("reason")} · by ${evil("createdBy")} · notifications muted, checks still run`);
    expect(await text(page, "#bot-loud .labels")).toContain(`${evil("label")}=${evil("value")}`);
    expect(await page.locator("#bot-new").getAttribute("data-health")).toBe("pending");
    expect(await text(page, "#fleet")).toMatch(/1 of 3 bots need attention, 1 not checked yet/);
    expect(await page.locator('#summary .tile[data-health="pending"] .n').innerText()).toBe("1");
    await page.close();
  }, 30_000);
});
