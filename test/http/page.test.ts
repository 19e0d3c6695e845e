import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotStatus, CheckResult, Health } from "../../src/model.ts";
import type { Monitor } from "../../src/monitor.ts";
import { fleetView, type FleetView } from "../../src/http/status-view.ts";
import { escapeHtml, h, renderStatusPage } from "../../src/http/page.ts";
import { fmtClock, fmtDuration, matches, searchText } from "../../src/http/page-assets/render.ts";
import { statusPageRouter } from "../../src/http/status-page.ts";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MIN = 60_000;

function check(c: Partial<CheckResult> & Pick<CheckResult, "check" | "status">): CheckResult {
  return { durationMs: 12, at: ago(5_000), since: ago(30 * MIN), ...c };
}

function status(name: string, username: string, health: Health, checks: CheckResult[]): BotStatus {
  return { name, username, health, since: ago(45 * MIN), checkedAt: ago(5_000), checks, observed: {} };
}

/** Bots in config order; fleetView puts them worst first. */
const BOTS = [
  { name: "anna", username: "anna_secretary_bot" },
  { name: "backlog", username: "backlog_secretary_bot" },
  { name: "revoked", username: "revoked_secretary_bot" },
  { name: "hung", username: "hung_secretary_bot" },
  { name: "fresh", username: "fresh_secretary_bot" },
];
const STATUSES: Record<string, BotStatus> = {
  anna: status("anna", "anna_secretary_bot", "healthy", [check({ check: "token", status: "ok", message: "token accepted" }), check({ check: "webhook", status: "ok", message: "0 updates pending" })]),
  backlog: status("backlog", "backlog_secretary_bot", "degraded", [
    check({ check: "token", status: "ok" }),
    check({ check: "webhook", status: "warn", message: "2500 updates pending (more than 100)", remediation: "Check the backend's health and logs.", since: ago(90 * MIN) }),
  ]),
  revoked: status("revoked", "revoked_secretary_bot", "down", [
    check({ check: "token", status: "fail", impact: "down", message: "Telegram answered 401 Unauthorized", remediation: "Open @BotFather and copy the current token." }),
    check({ check: "identity", status: "skipped", message: "skipped: token did not pass" }),
    check({ check: "webhook", status: "skipped", message: "skipped: token did not pass" }),
  ]),
  hung: status("hung", "hung_secretary_bot", "unknown", [check({ check: "token", status: "unknown", message: "getMe: no answer before the timeout", remediation: "Check the monitor's network path." })]),
};
const VIEW: FleetView = fleetView(BOTS, (n) => STATUSES[n]);

const render = (view: FleetView = VIEW, query = "") => renderStatusPage(view, { refreshSeconds: 30, nonce: "n0nce", now: NOW, query });

/** The markup of one bot's section (sections do not nest). */
function section(html: string, name: string): string {
  const start = html.indexOf(`<section class="bot`, html.indexOf(`id="bot-${name}"`) - 80);
  const at = html.indexOf(`id="bot-${name}"`);
  expect(at, `section of ${name}`).toBeGreaterThan(0);
  return html.slice(start, html.indexOf("</section>", at) + 10);
}

const sectionIds = (html: string) => [...html.matchAll(/<section class="bot[^"]*" id="bot-([^"]+)"/g)].map((m) => m[1]);

describe("the status page's rendering", () => {
  it("when the fleet has every health, then bots are listed worst first: down, unknown, degraded, healthy, then those not checked yet", () => {
    const html = render();
    expect(sectionIds(html)).toEqual(["revoked", "hung", "backlog", "anna", "fresh"]);
    expect([...html.matchAll(/data-health="(\w+)"><div class="bot-head">/g)].map((m) => m[1])).toEqual(["down", "unknown", "degraded", "healthy", "pending"]);
  });

  it("when a check fails, then its section shows health in words, the check's message, Fix: remediation and since when", () => {
    const s = section(render(), "revoked");
    expect(s).toContain('class="bot h-down"');
    expect(s).toContain("</span> Down</span>");
    expect(s).toContain("@revoked_secretary_bot");
    expect(s).toContain('<b class="cid f">token</b><span class="msg f">Telegram answered 401 Unauthorized</span>');
    expect(s).toContain('<b>Fix: </b><span class="f">Open @BotFather and copy the current token.</span>');
    expect(s).toContain(`failing for <time datetime="${ago(30 * MIN)}" title="11:30:00 UTC" data-rel>30 min</time> · since 11:30:00 UTC`);
    expect(s).toContain(`down for <time datetime="${ago(45 * MIN)}"`);
    expect(s).toContain(`checked <time datetime="${ago(5_000)}" title="11:59:55 UTC" data-rel>5 s</time> ago`);
    expect(s).toContain("Not run until the above is fixed: identity, webhook");
    // A skipped check is listed by name, not as a problem of its own.
    expect(s.match(/<li /g)).toHaveLength(1);
  });

  it("when a check warns or is unknown, then it is shown like a failure with its own status word", () => {
    const html = render();
    expect(section(html, "backlog")).toMatch(/class="chip s-warn f"><span aria-hidden="true">▲<\/span> Warn<\/span><b class="cid f">webhook<\/b><span class="msg f">2500 updates pending/);
    expect(section(html, "backlog")).toContain("warning for <time");
    expect(section(html, "backlog")).not.toContain(">token<");
    expect(section(html, "hung")).toMatch(/chip s-unknown f".*> Unknown<\/span><b class="cid f">token<\/b>/);
  });

  it("when a bot is healthy or not checked yet, then it is collapsed to one line without a check list", () => {
    const html = render();
    const anna = section(html, "anna");
    expect(anna).toContain('class="bot h-healthy compact"');
    expect(anna).not.toContain("<ul");
    expect(anna).not.toContain("token accepted");
    expect(anna).toContain("healthy for <time");
    const fresh = section(html, "fresh");
    expect(fresh).toContain('class="bot h-pending compact"');
    expect(fresh).toContain("not checked yet");
    expect(section(html, "revoked")).not.toContain("compact");
  });

  it("when the page is rendered, then the summary counts each health, names the fleet verdict and the last sweep", () => {
    const html = render();
    for (const [health, n] of [["down", 1], ["unknown", 1], ["degraded", 1], ["healthy", 1], ["pending", 1]] as const)
      expect(html).toContain(`<div class="tile h-${health}" data-health="${health}"><span class="n">${n}</span>`);
    expect(html).toContain('<span class="headline">3 of 5 bots need attention, 1 not checked yet</span>');
    expect(html).toContain(`Last sweep <time datetime="${ago(5_000)}">11:59:55 UTC</time>`);
    expect(html).toContain("<title>✖ 1 down, 1 unknown, 1 degraded · secretary-watch</title>");
    const empty = render({ status: "healthy", checkedAt: null, bots: [] });
    expect(empty).toContain("No sweep yet");
    expect(empty).toContain('<div class="tile h-down zero" data-health="down"><span class="n">0</span>');
    expect(empty).toContain("No bots are configured.");
  });

  it("when the page is rendered, then it is phone-ready, refreshes itself and has one nonce'd script", () => {
    const html = render();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="30"></noscript>');
    expect(html).toContain('data-refresh="30"');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script type="module" nonce="n0nce">');
    expect(html).toContain("startStatusPage({ botList, summaryTiles, fleetLine, titleText, shownText, matches, fmtDuration });");
    // Types were stripped: what the browser gets is JavaScript.
    expect(html).not.toMatch(/import type|: BotView|<N>\(/);
    expect(html).not.toMatch(/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/);
  });

  it("when every text field carries markup, then each is escaped in the server-rendered page", () => {
    const evil = (field: string) => `<img src=x data-field=${field} onerror="alert(1)">'&`;
    const bots = [{ name: "evil", username: evil("username") }];
    const statuses: Record<string, BotStatus> = {
      evil: {
        ...status("evil", evil("username"), "down", [
          check({ check: evil("check"), status: "fail", message: evil("message"), remediation: evil("remediation"), since: evil("since"), at: evil("at") }),
        ]),
        since: evil("bot-since"),
      },
    };
    const view = fleetView(bots, (n) => statuses[n]);
    const html = render(view, evil("query"));
    expect(html).not.toContain("<img");
    for (const field of ["username", "check", "message", "remediation", "since", "at", "bot-since", "query"])
      expect(html, field).toContain(escapeHtml(evil(field)));
  });

  it("when a bot name carries markup (names are validated, but the page does not rely on it), then it is escaped in text, id and href", () => {
    const view = fleetView([{ name: `x"><img src=y>`, username: "u" }], () => undefined);
    const html = render(view);
    expect(html).not.toContain("<img");
    expect(html).toContain('id="bot-x&#34;&#62;&#60;img src=y&#62;"');
    expect(html).toContain('href="#bot-x&#34;&#62;&#60;img src=y&#62;"');
  });

  it("when h() builds markup, then text and attribute values are escaped and names are checked", () => {
    expect(h("span", { title: `a"b`, hidden: true, gone: false, none: null }, ["<b>", h("i", {}, ["&"])]).html).toBe('<span title="a&#34;b" hidden>&#60;b&#62;<i>&#38;</i></span>');
    expect(() => h("img onerror=x", {}, [])).toThrow(/bad tag name/);
    expect(() => h("a", { "on click": "x" }, [])).toThrow(/bad attribute name/);
  });

  it("when a query is given, then non-matching bots are rendered hidden and the count says so", () => {
    const html = render(VIEW, "401  UNAUTHORIZED");
    expect(html).toContain('value="401  UNAUTHORIZED"');
    expect(section(html, "revoked")).not.toContain(" hidden");
    for (const name of ["anna", "backlog", "hung", "fresh"]) expect(section(html, name), name).toMatch(/data-health="\w+" hidden>/);
    expect(html).toContain('<span id="shown" class="shown" aria-live="polite">Showing 1 of 5 bots</span>');
    expect(html).toContain('<p id="empty" class="empty" hidden>');
    const none = render(VIEW, "nothing-like-this");
    expect(none).toContain('<p id="empty" class="empty">No bot matches “<span id="empty-q">nothing-like-this</span>”.</p>');
    expect(render()).toContain(">5 bots</span>");
  });

  it("when the filter matches, then it searches name, @username, health and problem checks' text, every word", () => {
    const revoked = VIEW.bots.find((b) => b.name === "revoked")!;
    const anna = VIEW.bots.find((b) => b.name === "anna")!;
    expect(searchText(revoked)).toBe("✖ Down\nrevoked\n@revoked_secretary_bot\n✖ Fail\ntoken\nTelegram answered 401 Unauthorized\nOpen @BotFather and copy the current token.");
    expect(matches(searchText(revoked), "botfather REVOKED")).toBe(true);
    expect(matches(searchText(revoked), "botfather anna")).toBe(false);
    expect(matches(searchText(anna), "@anna_")).toBe(true);
    // What is not on the page (an ok check's message) is not searched.
    expect(matches(searchText(anna), "accepted")).toBe(false);
    expect(matches(searchText(anna), "   ")).toBe(true);
  });

  it("when durations and clock times are formatted, then they read as a person would say them", () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 3_660_000, 86_400_000, 90_000_000, -5_000].map(fmtDuration)).toEqual([
      "0 s", "59 s", "1 min", "59 min", "1 h", "1 h 1 min", "1 d", "1 d 1 h", "0 s",
    ]);
    expect(fmtClock("2026-03-01T08:05:09.999Z", NOW)).toBe("08:05:09 UTC");
    expect(fmtClock("2026-02-28T23:59:59.000Z", NOW)).toBe("2026-02-28 23:59:59 UTC");
    expect(fmtClock("not a time", NOW)).toBe("not a time");
  });
});

describe("the status page's routes", () => {
  let server: Server;
  let url: string;
  const monitor = {
    *bots() {
      yield* BOTS.map((b) => ({ ...b, token: "1:x" }));
    },
    status: (name: string) => STATUSES[name],
    get: (name: string) => BOTS.find((b) => b.name === name),
  } as unknown as Monitor;

  beforeAll(async () => {
    const app = express();
    app.use(statusPageRouter({ monitor, pageRefreshSeconds: 20 }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("when / is asked, then the page comes with a strict CSP whose fresh nonce is the script's", async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const csp = res.headers.get("content-security-policy")!;
      const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1]!;
      expect(csp).toBe(`default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`);
      const html = await res.text();
      expect(html).toContain(`<script type="module" nonce="${nonce}">`);
      expect(html).toContain('data-refresh="20"');
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it("when / is asked with ?q= and ?refresh=, then the filter is pre-filled and the period kept within 2..3600 s", async () => {
    const page = await (await fetch(`${url}/?q=botfather&refresh=5`)).text();
    expect(page).toContain('value="botfather"');
    expect(page).toContain('data-refresh="5"');
    expect(page).toContain("Showing 1 of 5 bots");
    expect(await (await fetch(`${url}/?refresh=1`)).text()).toContain('data-refresh="2"');
    expect(await (await fetch(`${url}/?refresh=999999`)).text()).toContain('data-refresh="3600"');
    expect(await (await fetch(`${url}/?refresh=soon`)).text()).toContain('data-refresh="20"');
  });

  it.each([
    ["anna", "healthy", "#44cc11"],
    ["backlog", "degraded", "#dfb317"],
    ["revoked", "down", "#e05d44"],
    ["hung", "unknown", "#9f9f9f"],
    ["fresh", "pending", "#9f9f9f"],
  ])("when the badge of %s is asked, then it is an SVG reading secretary | %s in %s, never cached", async (name, health, color) => {
    const res = await fetch(`${url}/status/bots/${name}/badge.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(`<title>secretary: ${health}</title>`);
    expect(svg).toContain(`fill="${color}"`);
  });

  it("when the badge of an unknown bot is asked, then it answers 404 with a grey 'no such bot' SVG that does not echo the name", async () => {
    const res = await fetch(`${url}/status/bots/${encodeURIComponent("<nobody>")}/badge.svg`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    const svg = await res.text();
    expect(svg).toContain("<title>secretary: no such bot</title>");
    expect(svg).not.toContain("nobody");
  });

  it("when a badge label is given, then it replaces 'secretary' and is escaped", async () => {
    const svg = await (await fetch(`${url}/status/bots/anna/badge.svg?label=${encodeURIComponent(`<anna & "co">`)}`)).text();
    expect(svg).toContain("<title>&#60;anna &#38; &#34;co&#34;&#62;: healthy</title>");
    expect(svg).not.toContain("<anna");
    expect(await (await fetch(`${url}/status/bots/anna/badge.svg?label=%20%20`)).text()).toContain("<title>secretary: healthy</title>");
  });
});
