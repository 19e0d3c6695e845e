import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { healthyWorldSpec, fleetBots } from "../support/healthy-fleet.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { sleep, startTestService, until } from "../support/service-harness.ts";
import { scrapeScheduleLag, shareWithin } from "../support/schedule-lag.ts";

const ALERT_BOT = { token: "7999999:alerts-bot-Zx8", id: 7999999, username: "ops_alerts_bot", firstName: "Ops alerts", webhook: { url: "" }, connections: [] };
const OPS_CHAT = -1001234567890;

/** The healthy fleet of test/support/healthy-fleet.ts, plus the ops alert bot. */
function healthyWorld(n: number) {
  const spec = healthyWorldSpec(n) as { bots: unknown[] };
  return parseWorld({ ...spec, bots: [...spec.bots, ALERT_BOT] });
}

function monitorConfig(sandbox: Sandbox, n: number, extra: Record<string, unknown>) {
  return {
    telegram: { apiRoot: sandbox.url, timeout: "2s" },
    schedule: { interval: "1s", concurrency: 32 },
    bots: fleetBots(n),
    ...extra,
  };
}

const telegramChannel = (sandbox: Sandbox) => ({ "ops-telegram": { type: "telegram", botToken: ALERT_BOT.token, chatId: OPS_CHAT, apiRoot: sandbox.url } });

type Sent = { bot: string; chatId: number; text: string; renderedText: string; parseMode?: string };
const sent = async (sandbox: Sandbox): Promise<Sent[]> => (await fetch(`${sandbox.url}/_sandbox/messages`)).json() as Promise<Sent[]>;
const control = (sandbox: Sandbox, method: string, path: string, body?: unknown) =>
  fetch(`${sandbox.url}/_sandbox${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

describe("alerts end to end", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const track = (service: Service) => cleanup.push(() => service.stop());

  it("when the SMTP server is down as an alert fires and comes back later, then the email arrives exactly once and sweeps stay on schedule", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(3) });
    cleanup.push(() => sandbox.close());
    await control(sandbox, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const smtpPort = await freePort();
    const { service } = await startTestService(
      monitorConfig(sandbox, 3, {
        alerts: { failAfter: 1, channels: { mail: { type: "email", url: `smtp://ops:s3cret-smtp-pw@127.0.0.1:${smtpPort}`, from: "watch@example.com", to: ["ops@example.com"] } } },
      }),
      { outbox: { baseBackoffMs: 200, maxBackoffMs: 400 } },
    );
    track(service);
    const startedAt = Date.now();

    // The alert fires and its delivery fails while nothing listens on the SMTP port.
    await until("failed deliveries", async () => ((await service.metrics.registry.getSingleMetricAsString("secretary_notifications_total")).match(/result="failed"\} [1-9]/) ? true : undefined), 10_000);
    expect(service.outbox.size).toBe(1);

    const mails: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onAuth: (auth, _session, cb) => cb(null, { user: auth.username }),
      onData(stream, _session, cb) {
        let data = "";
        stream.on("data", (d) => (data += d));
        stream.on("end", () => {
          mails.push(data);
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((r) => smtp.close(() => r(undefined))));

    await until("the email", () => (mails.length > 0 ? true : undefined), 10_000);
    await sleep(2500); // several sweeps and retry windows later: still exactly one
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/Subject: \[FIRING\] bot-0 \(@healthy_0_bot\) is down/);
    expect(mails[0]).toContain("401 Unauthorized");
    expect(service.outbox.size).toBe(0);

    const elapsed = Date.now() - startedAt;
    const { started } = service.scheduler.stats;
    // Every sweep started within 250 ms of its slot (the schedule lag histogram's bucket).
    expect(shareWithin(await scrapeScheduleLag(service.url), 0.25)).toBe(1);
    expect(started).toBeGreaterThanOrEqual(3 * Math.floor(elapsed / 1000) - 3);
  });

  it("when 200 bots all go unknown because the Bot API stops answering, then exactly one monitor-level alert goes out and no bot alert; a resolved one follows", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(200) });
    cleanup.push(() => sandbox.close());
    const { service } = await startTestService(monitorConfig(sandbox, 200, { alerts: { failAfter: 2, recoverAfter: 2, channels: telegramChannel(sandbox) } }), {
      monitorEvaluationMs: 500,
    });
    track(service);
    await until("200 healthy bots", () => ([...service.monitor.statuses()].filter((s) => s.health === "healthy").length === 200 ? true : undefined), 60_000);

    const fault = await control(sandbox, "POST", "/faults", { methods: ["getMe", "getBusinessConnection", "getWebhookInfo", "sendChatAction", "getBusinessAccountStarBalance"], status: 503 });
    expect(fault.status).toBe(201);
    await until("the monitor alert", async () => ((await sent(sandbox)).length > 0 ? true : undefined), 10_000);
    await sleep(3000); // six more evaluations, three more sweeps of every bot
    const during = await sent(sandbox);
    expect(during).toHaveLength(1);
    expect(during[0]!.text).toContain("cannot reach Telegram");
    expect([...service.monitor.statuses()].every((s) => s.health === "unknown")).toBe(true);
    expect(service.alerts.firing()).toEqual({ degraded: 0, down: 0 });

    await control(sandbox, "DELETE", "/faults");
    await until("the resolved monitor alert", async () => ((await sent(sandbox)).length > 1 ? true : undefined), 10_000);
    await sleep(1000);
    const after = await sent(sandbox);
    expect(after).toHaveLength(2);
    expect(after[1]!.text).toContain("reaches Telegram again");
  }, 100_000);

  it("when a bot's token is revoked, then one Telegram message reaches the ops chat with <, > and & rendered as written", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(1) });
    cleanup.push(() => sandbox.close());
    const config = monitorConfig(sandbox, 1, { alerts: { failAfter: 1, channels: telegramChannel(sandbox) } });
    (config.bots[0] as Record<string, unknown>).labels = { team: "R&D <growth> & co" };
    const { service } = await startTestService(config);
    track(service);
    await until("a healthy sweep", () => (service.monitor.status("bot-0")?.health === "healthy" ? true : undefined), 5000);

    await control(sandbox, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    await until("the alert", async () => ((await sent(sandbox)).length > 0 ? true : undefined), 5000);
    await sleep(2500);
    const messages = await sent(sandbox);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ chatId: OPS_CHAT, parseMode: "HTML" });
    expect(messages[0]!.renderedText).toContain("team=R&D <growth> & co");
    expect(messages[0]!.text).toContain("R&amp;D &lt;growth&gt; &amp; co");
    expect(messages[0]!.renderedText).toContain("bot-0 (@healthy_0_bot)");
    expect(messages[0]!.renderedText).toContain("401 Unauthorized");
  });

  it("when the service restarts while an alert is firing, then no second firing goes out and the resolved message still does", async () => {
    const sandbox = await startSandbox({ world: healthyWorld(1) });
    cleanup.push(() => sandbox.close());
    await control(sandbox, "PATCH", "/bots/healthy_0_bot", { revoked: true });
    const config = monitorConfig(sandbox, 1, { alerts: { failAfter: 1, recoverAfter: 1, channels: telegramChannel(sandbox) } });
    const first = await startTestService(config);
    await until("the firing message", async () => ((await sent(sandbox)).length === 1 ? true : undefined), 5000);
    await first.service.stop();

    const second = await startTestService(config, {}, first.dir);
    track(second.service);
    await sleep(2500); // two sweeps of the still-revoked bot after the restart
    expect((await sent(sandbox)).map((m) => m.text.split("\n")[0])).toEqual(["🔴 <b>FIRING</b>: bot-0 (@healthy_0_bot) is down"]);

    await control(sandbox, "PATCH", "/bots/healthy_0_bot", { revoked: false });
    await until("the resolved message", async () => ((await sent(sandbox)).length === 2 ? true : undefined), 5000);
    expect((await sent(sandbox))[1]!.text).toContain("RESOLVED");
  });
});
