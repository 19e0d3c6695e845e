import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.ts";
import { startDemoFleet, type DemoFleet } from "../support/demo-fleet.ts";

/** The guide's order, as doctor names its steps. */
const STEPS = [
  "The BotFather token is valid",
  "The token belongs to this bot (one production bot)",
  "Secretary Mode is enabled on this exact bot in BotFather",
  "The bot is connected to the Telegram profile that owns the conversations",
  "Secretary Mode permissions are complete",
  "The chat accessibility scope includes the test chat",
  "Telegram delivers the bot's updates",
  "The webhook endpoint accepts Telegram's TLS connection",
  "Live inbound test: a real message to the profile gets a reply",
  "Live outbound test: a message sent through the bot reaches Telegram",
];

type Step = { n: number; mark: string; title: string; detail: string };

function steps(stdout: string): Step[] {
  return stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\. (\S) (.+?)(?: — (.*))?$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ n: Number(m[1]), mark: m[2]!, title: m[3]!, detail: m[4] ?? "" }));
}

describe("secretary-watch doctor on the demo's bots", () => {
  let fleet: DemoFleet;
  const doctor = (...args: string[]) => cli(["doctor", "--config", fleet.configPath, ...args], fleet.env);

  beforeAll(async () => {
    fleet = await startDemoFleet();
  });
  afterAll(async () => {
    await fleet.sandbox.close();
  });

  it("when the bot is healthy, then every step passes in the guide's order and the exit code is 0", async () => {
    const r = await doctor("--token", "7000001:demo-anna-Xk2v9", "--username", "anna_secretary_bot", "--owner", "123456789", "--connection", "bc-anna");
    expect(r.stderr).toBe("");
    expect(steps(r.stdout).map((s) => [s.mark, s.title])).toEqual(STEPS.map((t) => ["✓", t]));
    expect(r.stdout).toMatch(/Live inbound test.* — reply in \d/);
    expect(r.stdout).not.toContain("demo-anna-Xk2v9");
    expect(r.code).toBe(0);
  });

  it("when the token is revoked, then the first step fails with the guide's remedy and the rest are skipped; exit 1", async () => {
    const r = await doctor("--token", "7000002:demo-revoked-Qm4t1", "--username", "revoked_secretary_bot", "--owner", "100000002", "--connection", "bc-revoked");
    const s = steps(r.stdout);
    expect(s.map((x) => x.mark)).toEqual(["✗", "-", "-", "-", "-", "-", "-", "-", "-", "-"]);
    expect(s[0]!.detail).toContain("401 Unauthorized");
    expect(r.stdout).toContain("→ Open @BotFather, pick this bot and copy its current HTTP API token");
    expect(r.code).toBe(1);
  });

  it("when the bot is attached to another profile, then the connection step fails naming both profiles; exit 1", async () => {
    const r = await doctor("--token", "7000009:demo-wrong-owner-Jd9k9", "--username", "wrong_owner_secretary_bot", "--owner", "100000009", "--connection", "bc-wrong-owner");
    const s = steps(r.stdout);
    expect(s.slice(0, 4).map((x) => x.mark)).toEqual(["✓", "✓", "✓", "✗"]);
    expect(s[3]!.detail).toBe("attached to the wrong Telegram profile: @mallory_stranger (id 100000099), expected id 100000009");
    expect(r.stdout).toContain("→ The bot is attached to the wrong Telegram profile");
    expect(r.code).toBe(1);
  });

  it("when every API step passes but the backend never answers, then only the live inbound test fails; exit 1", async () => {
    const r = await doctor("--token", "7000020:demo-silent-Mn2o0", "--username", "silent_secretary_bot", "--owner", "100000020", "--connection", "bc-silent");
    const s = steps(r.stdout);
    expect(s.map((x) => x.mark)).toEqual(["✓", "✓", "✓", "✓", "✓", "✓", "✓", "✓", "✗", "✓"]);
    expect(s[8]!.detail).toContain("the Secretary connection looks fine, but no reply came from the profile");
    expect(r.code).toBe(1);
  });

  it("when --owner is not given, then the connection step names the profile it found and asks to confirm it", async () => {
    const r = await doctor("--token", "7000001:demo-anna-Xk2v9", "--username", "anna_secretary_bot", "--connection", "bc-anna");
    const s = steps(r.stdout);
    expect(s[3]).toMatchObject({ mark: "!", detail: "connected to @anna_creator (id 123456789); pass --owner 123456789 to confirm it is the right profile" });
    expect(s[8]!.mark).toBe("✓"); // the live test reached the profile it found
    expect(r.code).toBe(0);
  });

  it("when --discover is used on a bot with a webhook, then doctor refuses getUpdates and says why", async () => {
    const r = await doctor("--token", "7000006:demo-no-connection-Vb6m6", "--username", "no_connection_secretary_bot", "--owner", "100000006", "--discover");
    expect(steps(r.stdout)[0]).toMatchObject({ mark: "-", title: "Find the business connection id (--discover)", detail: "the bot has a webhook, so getUpdates is not possible" });
    const calls = (await (await fetch(`${fleet.sandbox.url}/_sandbox/calls`)).json()) as Array<{ method: string; count: number }>;
    expect(calls.filter((c) => c.method.toLowerCase() === "getupdates")).toEqual([]);
  });

  it("when --discover is used on a polling bot with a pending connection update, then doctor finds the id, warns it consumed the updates and goes on", async () => {
    const res = await fetch(`${fleet.sandbox.url}/_sandbox/bots`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token: "7000077:e2e-poller-Xy7",
        username: "poller_secretary_bot",
        firstName: "Poller",
        webhook: { url: "" },
        connections: [{ id: "bc-poller", userId: 123456789, rights: { can_reply: true } }],
        pendingUpdates: [{ businessConnection: "bc-poller" }],
      }),
    });
    expect(res.status).toBe(201);
    const r = await doctor("--token", "7000077:e2e-poller-Xy7", "--username", "poller_secretary_bot", "--owner", "123456789", "--discover");
    const s = steps(r.stdout);
    expect(s[0]).toMatchObject({ mark: "✓", title: "Find the business connection id (--discover)" });
    expect(s[0]!.detail).toBe("found bc-poller (read 1 pending update(s) with getUpdates, which consumes them: the bot's own poller will not see them)");
    expect(s[4]).toMatchObject({ mark: "✓", title: "The bot is connected to the Telegram profile that owns the conversations" });
  });

  type JsonReport = { apiRoot: string; steps: Array<{ check: string | null; title: string; status: string; message: string | null; remediation: string | null }>; exit: number };
  const json = (stdout: string) => JSON.parse(stdout) as JsonReport;

  it("when --json is given on a healthy bot, then stdout is one JSON document: the Telegram asked, each step with its check, exit 0", async () => {
    const r = await doctor("--json", "--token", "7000001:demo-anna-Xk2v9", "--username", "anna_secretary_bot", "--owner", "123456789", "--connection", "bc-anna");
    expect(r.stderr).toBe("");
    const report = json(r.stdout);
    expect(Object.keys(report)).toEqual(["apiRoot", "steps", "exit"]);
    expect(report.apiRoot).toBe(fleet.sandbox.url);
    expect(report.steps.map((s) => [s.check, s.title, s.status])).toEqual(
      ["token", "identity", "business-mode", "connection", "rights", "scope", "webhook", "webhook-endpoint", "round-trip", "round-trip"].map((check, i) => [check, STEPS[i], "ok"]),
    );
    for (const step of report.steps) expect(Object.keys(step)).toEqual(["check", "title", "status", "message", "remediation"]);
    expect(report.steps[8]!.message).toMatch(/^reply in \d/);
    expect(report.exit).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("demo-anna-Xk2v9");
  });

  it("when --json is given on a revoked token, then the failed step carries its remedy, the others null ones, and exit is 1 in the JSON and the code", async () => {
    const r = await doctor("--token", "7000002:demo-revoked-Qm4t1", "--username", "revoked_secretary_bot", "--owner", "100000002", "--connection", "bc-revoked", "--json");
    const report = json(r.stdout);
    expect(report.steps[0]).toMatchObject({ check: "token", status: "fail", message: expect.stringContaining("401 Unauthorized"), remediation: expect.stringContaining("Open @BotFather") });
    expect(report.steps.slice(1).map((s) => [s.status, s.remediation])).toEqual(Array(9).fill(["skipped", null]));
    expect(report.exit).toBe(1);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("demo-revoked-Qm4t1");
  });

  it("when --json is given without --owner, then the connection step is the warning asking to confirm the profile, with its remedy", async () => {
    const r = await doctor("--json", "--token", "7000001:demo-anna-Xk2v9", "--username", "anna_secretary_bot", "--connection", "bc-anna");
    const report = json(r.stdout);
    expect(report.steps[3]).toEqual({
      check: "connection",
      title: STEPS[3],
      status: "warn",
      message: "connected to @anna_creator (id 123456789); pass --owner 123456789 to confirm it is the right profile",
      remediation: expect.stringContaining("Verify that this is the account that should own the live Secretary Mode conversations"),
    });
    expect(report.exit).toBe(0);
  });

  it("when --json is given with --discover on a bot with a webhook, then the discovery step is there with check null", async () => {
    const r = await doctor("--json", "--token", "7000006:demo-no-connection-Vb6m6", "--username", "no_connection_secretary_bot", "--owner", "100000006", "--discover");
    expect(json(r.stdout).steps[0]).toMatchObject({ check: null, title: "Find the business connection id (--discover)", status: "skipped", message: "the bot has a webhook, so getUpdates is not possible" });
  });

  it("when a required flag is missing, then the exit code is 2 naming it", async () => {
    const r = await doctor("--username", "anna_secretary_bot");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--token is required");
  });
});
