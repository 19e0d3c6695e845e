import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotHistoryWindow, WindowUptimes } from "../../src/history/history.ts";
import type { Uptime } from "../../src/history/uptime.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { historyRouter } from "../../src/http/history-routes.ts";
import { adminHistoryRoutes } from "../../src/http/admin-history.ts";
import { HISTORY_UNAVAILABLE } from "../../src/http/history-read.ts";
import { LogSink } from "../support/service-harness.ts";
import { UNREACHABLE_CAUSE, unreachableHistory } from "../support/unreachable-history.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-20T00:00:00.000Z");

/** Fixed uptimes per bot; every window the same ratio. */
const RATIOS: Record<string, number | null> = { anna: 0.9995, bob: 0.97, cleo: null, dan: 0.5 };
const windows = (up: number | null): WindowUptimes => {
  const u: Uptime = { up, healthy: up, known: up === null ? 0 : 1 };
  return { "24h": u, "7d": u, "30d": u, "90d": u };
};

describe("the public history routes", () => {
  let server: Server;
  let url: string;
  const asked: Array<{ bot: string; from: number; to: number }> = [];

  beforeAll(async () => {
    const app = express();
    app.use(
      historyRouter({
        monitor: { get: (name: string) => (name in RATIOS ? ({ name } as never) : undefined) },
        history: {
          botUptime: async (bot) => windows(RATIOS[bot] ?? null),
          botHistory: async (bot, from, to): Promise<BotHistoryWindow> => {
            asked.push({ bot, from, to });
            return {
              bot, from, to,
              uptime: { up: 0.75, healthy: 0.5, known: 0.5 },
              health: [{ from: T0, to: T0 + 3_600_000, health: "down" }, { from: T0 + 3_600_000, to: T0 + 4 * 3_600_000, health: "healthy" }],
              gaps: [{ from, to: T0 }],
              incidents: [{ id: `anna@${new Date(T0).toISOString()}`, bot, start: T0, firedAt: T0 + 60_000, end: T0 + 3_600_000, worst: "down", checks: [{ check: "token", status: "fail", message: "401" }], notifications: [{ channel: "ops", kind: "firing", at: T0 + 61_000, result: "sent" }], silenced: false }],
            };
          },
        },
      }),
    );
    app.use(errorHandler(pino({ level: "silent" })));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    return { status: res.status, text, headers: res.headers, body: res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined };
  };

  it("when no range is given, then the last 7 days up to now are read, and times answer as ISO strings", async () => {
    const before = Date.now();
    const r = await get("/status/bots/anna/history");
    expect(r.status).toBe(200);
    const { from, to } = asked.at(-1)!;
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(Date.now());
    expect(to - from).toBe(7 * DAY);
    expect(r.body).toEqual({
      bot: "anna",
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      uptime: { up: 0.75, healthy: 0.5, known: 0.5 },
      health: [
        { from: "2026-11-20T00:00:00.000Z", to: "2026-11-20T01:00:00.000Z", health: "down" },
        { from: "2026-11-20T01:00:00.000Z", to: "2026-11-20T04:00:00.000Z", health: "healthy" },
      ],
      incidents: [
        {
          id: "anna@2026-11-20T00:00:00.000Z", bot: "anna", start: "2026-11-20T00:00:00.000Z", firedAt: "2026-11-20T00:01:00.000Z", end: "2026-11-20T01:00:00.000Z", worst: "down",
          checks: [{ check: "token", status: "fail", message: "401" }],
          notifications: [{ channel: "ops", kind: "firing", at: "2026-11-20T00:01:01.000Z", result: "sent" }],
          silenced: false,
        },
      ],
      gaps: [{ from: new Date(from).toISOString(), to: "2026-11-20T00:00:00.000Z" }],
    });
  });

  it("when from and to are given (a date alone is its UTC midnight), then exactly that range is read", async () => {
    expect((await get("/status/bots/anna/history?from=2026-11-01&to=2026-11-02T12:00:00%2B01:00")).status).toBe(200);
    expect(asked.at(-1)).toEqual({ bot: "anna", from: Date.parse("2026-11-01T00:00:00Z"), to: Date.parse("2026-11-02T11:00:00Z") });
    expect((await get("/status/bots/anna/history?to=2026-11-10T00:00:00Z")).status).toBe(200);
    expect(asked.at(-1)).toEqual({ bot: "anna", from: Date.parse("2026-11-03T00:00:00Z"), to: Date.parse("2026-11-10T00:00:00Z") });
  });

  it("when to lies in the future, then the range ends now: the future is not known yet", async () => {
    const r = await get(`/status/bots/anna/history?from=${new Date(Date.now() - DAY).toISOString()}&to=2999-01-01T00:00:00Z`);
    expect(r.status).toBe(200);
    expect(asked.at(-1)!.to).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(r.body.to)).toBe(asked.at(-1)!.to);
  });

  it.each([
    ["from=yesterday", "from", "ISO 8601"],
    ["from=2026-13-45", "from", "ISO 8601"],
    ["to=1700000000", "to", "ISO 8601"],
    ["from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to", "must be after from"],
    ["from=2026-12-01T00:00:00Z&to=2026-12-01T00:00:00Z", "to", "must be after from"],
    ["from=2025-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", "from", "at most 400 days"],
    ["from=2999-01-01T00:00:00Z", "from", "must be before now"],
    ["form=2026-11-01", "form", "did you mean `from`"],
    ["from=2026-11-01&from=2026-11-02", "from", "got a list"],
  ])("when the query is %s, then 400 names %s and says what is wrong", async (query, field, says) => {
    const count = asked.length;
    const r = await get(`/status/bots/anna/history?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
    expect(r.body.error).toContain(says);
    expect(asked.length, "nothing read for a refused range").toBe(count);
  });

  it("when the bot is not watched, then the history answers 404 naming it", async () => {
    const r = await get("/status/bots/zed/history");
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('no bot named "zed"');
  });

  it.each([
    ["anna", "24h", "99.95%", "#44cc11"],
    ["bob", "7d", "97.00%", "#dfb317"],
    ["dan", "90d", "50.00%", "#e05d44"],
    ["cleo", "30d", "no data", "#9f9f9f"],
  ])("when %s's %s badge is fetched, then it reads %s on %s", async (bot, window, message, color) => {
    const r = await get(`/status/bots/${bot}/uptime/${window}.svg`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(r.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(r.text).toContain(`aria-label="uptime ${window}: ${message}"`);
    expect(r.text).toContain(`fill="${color}"`);
  });

  it("when the window or the bot is unknown, then a grey badge says so with 404", async () => {
    const window = await get("/status/bots/anna/uptime/1y.svg");
    expect(window.status).toBe(404);
    expect(window.text).toContain('aria-label="uptime: no window 1y: 24h, 7d, 30d, 90d"');
    const bot = await get("/status/bots/zed/uptime/24h.svg");
    expect(bot.status).toBe(404);
    expect(bot.text).toContain('aria-label="uptime 24h: no such bot"');
    expect(bot.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
  });
});

describe("the history reads when the store cannot be reached", () => {
  let server: Server;
  let url: string;
  const logs = new LogSink();

  beforeAll(async () => {
    const { history } = unreachableHistory();
    const logger = pino({ level: "info" }, logs);
    const app = express();
    app.use(historyRouter({ monitor: { get: (name: string) => (name === "anna" ? ({ name } as never) : undefined) }, history, logger }));
    app.use("/api/v1", adminHistoryRoutes({ history }));
    app.use(errorHandler(logger));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };

  it.each(["/status/bots/anna/history", "/api/v1/incidents?bot=anna", "/api/v1/audit", "/api/v1/notifications?result=failed"])(
    "when %s is asked, then it answers 503 with a JSON error naming the history store, and logs the cause, never answers it",
    async (path) => {
      const r = await get(path);
      expect(r.status).toBe(503);
      expect(r.type).toContain("application/json");
      const body = JSON.parse(r.text);
      expect(body).toEqual({ error: HISTORY_UNAVAILABLE });
      expect(body.error).toContain("the history store cannot be read");
      expect(r.text).not.toContain("db.internal");
      expect(logs.text).toContain(UNREACHABLE_CAUSE);
    },
  );

  it("when a request is wrong as well, then it is told what is wrong (400, 404) before the store is asked", async () => {
    expect((await get("/status/bots/anna/history?from=yesterday")).status).toBe(400);
    expect((await get("/status/bots/zed/history")).status).toBe(404);
    expect((await get("/api/v1/incidents?limit=0")).status).toBe(400);
  });

  it("when an uptime badge is fetched, then it stays an image: a grey badge saying the history is unavailable, with 503", async () => {
    const r = await get("/status/bots/anna/uptime/30d.svg");
    expect(r.status).toBe(503);
    expect(r.type).toBe("image/svg+xml; charset=utf-8");
    expect(r.text).toContain('aria-label="uptime 30d: history unavailable"');
    expect(r.text).toContain('fill="#9f9f9f"');
    expect(r.text).not.toContain("db.internal");
  });
});
