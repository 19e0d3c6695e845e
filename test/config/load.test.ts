import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHECK_IDS } from "../../checks/index.ts";
import { ConfigError, configSecrets, loadConfigFile, maskConfig, parseConfig, resolveBots, resolveConfigPath } from "../../src/config/load.ts";

const EXAMPLE = fileURLToPath(new URL("../../config/example.yaml", import.meta.url));
const EXAMPLE_ENV = { ALERT_BOT_TOKEN: "7000099:alerts-secret-token", ANNA_BOT_TOKEN: "123456:anna-secret-token", PD_ROUTING_KEY: "R0utingKey0f32CharactersExactly1" };

const ANNA = `  - name: anna
    token: "123456:AAAA-anna-token"
    username: anna_secretary_bot
    owner: { id: 123456789 }
`;

describe("resolveConfigPath", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), "sw-config-"));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const withConventionalFile = () => {
    mkdirSync(path.join(cwd, "config"));
    writeFileSync(path.join(cwd, "config/secretary-watch.yaml"), "bots: []\n");
  };

  it("when --config is given, then it wins over the environment and the conventional file", () => {
    withConventionalFile();
    expect(resolveConfigPath({ flag: "mine.yaml", env: { SECRETARY_WATCH_CONFIG: "/etc/sw.yaml" }, cwd })).toEqual({ path: path.join(cwd, "mine.yaml") });
  });

  it("when only SECRETARY_WATCH_CONFIG is set, then it wins over the conventional file", () => {
    withConventionalFile();
    expect(resolveConfigPath({ env: { SECRETARY_WATCH_CONFIG: "/etc/sw.yaml" }, cwd })).toEqual({ path: "/etc/sw.yaml" });
  });

  it("when neither is set and config/secretary-watch.yaml exists, then that file is used", () => {
    withConventionalFile();
    expect(resolveConfigPath({ env: {}, cwd })).toEqual({ path: path.join(cwd, "config/secretary-watch.yaml") });
  });

  it("when nothing is configured, then none is found, and the answer says where it looked", () => {
    const conventional = path.join(cwd, "config/secretary-watch.yaml");
    expect(resolveConfigPath({ env: { SECRETARY_WATCH_CONFIG: "" }, cwd })).toEqual({
      none: true,
      expected: conventional,
      looked: ["--config (not given)", "$SECRETARY_WATCH_CONFIG (not set)", `${conventional} (not found)`],
    });
  });
});

describe("parseConfig", () => {
  it("when the file is empty, then every default of SPEC §2 applies", () => {
    const config = parseConfig("", {}, "empty.yaml");
    expect(config.telegram).toEqual({ apiRoot: "https://api.telegram.org", environment: "prod", timeout: 10_000 });
    expect(config.server).toEqual({ host: "0.0.0.0", port: 9464, adminToken: "", adminTokens: {}, auth: { users: {} }, publicUrl: "", metricsToken: "", trustProxy: [] });
    expect(config.schedule).toEqual({ interval: 60_000, concurrency: 32 });
    expect(config.shard).toEqual({ index: 0, count: 1 });
    expect(config.store).toEqual({ path: "./data/secretary-watch.db", url: "", secretKey: "", retention: 180 * 86_400_000 });
    expect(config.checks.webhook).toEqual({ enabled: true, mode: "webhook", maxPendingUpdates: 100, errorWindow: 600_000, stalledAfter: 300_000 });
    expect(config.checks["round-trip"]).toEqual({ enabled: false, mode: "reply", interval: 900_000, timeout: 120_000, slowAfter: 30_000 });
    expect(config.alerts).toMatchObject({ failAfter: 2, recoverAfter: 2, repeatInterval: 14_400_000, sendResolved: true, channels: {} });
    expect(config.bots).toEqual([]);
  });

  it("when store.url is not a PostgreSQL URL, comes with shard.index, or store.retention is out of range, then the problem names the key and what is expected", () => {
    const problems = (text: string) => {
      try {
        parseConfig(text, {}, "t.yaml");
      } catch (err) {
        return (err as { problems: string[] }).problems;
      }
      return [];
    };
    expect(parseConfig("store: { url: 'postgres://u:p@db:5432/watch?sslmode=require' }\n", {}, "t.yaml").store.url).toBe("postgres://u:p@db:5432/watch?sslmode=require");
    expect(problems("store: { url: 'mysql://u:p@db/watch' }\n")).toEqual([expect.stringMatching(/^store\.url: expected "" \(the embedded database\) or postgres:\/\//)]);
    expect(problems("store: { url: 'postgres://u:p@db/watch' }\nshard: { index: 1, count: 4 }\n")).toEqual([expect.stringMatching(/^shard\.index: expected no shard\.index with store\.url: replicas claim shards by lease/)]);
    // The password never reaches an error message.
    expect(problems("store: { url: 'postgres://u:hunter2@/watch' }\n").join("\n")).not.toContain("hunter2");
    expect(problems("store: { retention: 1h }\n")).toEqual([expect.stringMatching(/^store\.retention: .*1d/)]);
    expect(parseConfig("store: { retention: 30d }\n", {}, "t.yaml").store.retention).toBe(30 * 86_400_000);
  });

  it("when ${PORT} is an unquoted value, then server.port is the number", () => {
    expect(parseConfig("server:\n  port: ${PORT}\n", { PORT: "9465" }, "t.yaml").server.port).toBe(9465);
  });

  it("when a telegram channel sets its own apiRoot, then it is kept", () => {
    const config = parseConfig(
      "alerts:\n  channels:\n    tg: { type: telegram, botToken: 'x', chatId: '@ops', apiRoot: 'http://localhost:8081' }\n",
      {},
      "t.yaml",
    );
    expect(config.alerts.channels.tg).toMatchObject({ chatId: "@ops", apiRoot: "http://localhost:8081", minHealth: "degraded", bots: {} });
  });
});

describe("resolveBots", () => {
  const config = parseConfig(
    `checks:
  webhook: { errorWindow: 5m }
bots:
${ANNA}    businessConnectionId: ""
    botId: 0
    checks:
      webhook: { maxPendingUpdates: 500 }
  - name: boris
    token: "234567:BBBB-boris-token"
    username: "@boris_bot"
    botId: 234567
    owner: { id: 42 }
    businessConnectionId: bc-boris
    probeChats: [555, -100]
    labels: { tier: vip }
    checks:
      rights: { require: [can_reply, can_delete_outgoing_messages] }
`,
    {},
    "t.yaml",
  );
  const [anna, boris] = resolveBots(config);

  it("when a bot overrides webhook.maxPendingUpdates, then the other webhook options keep the defaults", () => {
    expect(anna!.checks.webhook).toEqual({ enabled: true, mode: "webhook", maxPendingUpdates: 500, errorWindow: 300_000, stalledAfter: 300_000 });
    expect(boris!.checks.webhook).toEqual({ enabled: true, mode: "webhook", maxPendingUpdates: 100, errorWindow: 300_000, stalledAfter: 300_000 });
  });

  it("when a bot requires can_delete_outgoing_messages, then it is the wire name can_delete_sent_messages", () => {
    expect(boris!.checks.rights).toEqual({ enabled: true, require: ["can_reply", "can_delete_sent_messages"] });
    expect(anna!.checks.rights!.require).toContain("can_delete_sent_messages");
  });

  it("when bots are resolved, then every registered check has options", () => {
    expect(Object.keys(anna!.checks).sort()).toEqual([...CHECK_IDS].sort());
  });

  it("when botId is 0 and businessConnectionId empty, then they are unset; otherwise they are carried", () => {
    expect(anna).toEqual(
      expect.objectContaining({ name: "anna", token: "123456:AAAA-anna-token", username: "anna_secretary_bot", ownerId: 123456789, probeChats: [], labels: {} }),
    );
    expect(anna!.botId).toBeUndefined();
    expect(anna!.businessConnectionId).toBeUndefined();
    expect(boris).toMatchObject({ username: "boris_bot", botId: 234567, ownerId: 42, businessConnectionId: "bc-boris", probeChats: [555, -100], labels: { tier: "vip" } });
  });
});

describe("maskConfig", () => {
  /** A basic-auth hash is no secret a log could leak, but config check hides it too (it can be attacked offline). */
  const OPS_HASH = "$2b$10$gENDZ8URcWjs9vxmLdR3neJ5TJP7WOjZvl.Nv.0CKj/aWkoaSqSiu";
  const SECRETS = {
    TOKEN: "123456:AAAA-anna-secret",
    ODD: "not-a-token-secret",
    ADMIN: "admin-secret-value",
    METRICS: "metrics-secret-value",
    KEY: "store-secret-key",
    SESSION: "session-secret-string",
    HASH: "api-hash-secret",
    ALERT: "7000099:alert-bot-secret",
    HOOK: "hook-secret-value",
    SMTP: "smtp-password-secret",
    PLATFORM: "platform-admin-token-secret",
    CI: "ci-admin-token-secret",
  };
  const config = parseConfig(
    `server: { adminToken: "\${ADMIN}", metricsToken: "\${METRICS}", adminTokens: { platform: "\${PLATFORM}", ci: "\${CI}" }, auth: { users: { ops: "${OPS_HASH}" } } }
store: { secretKey: "\${KEY}" }
testAccount: { session: "\${SESSION}", apiId: 1, apiHash: "\${HASH}" }
alerts:
  channels:
    tg: { type: telegram, botToken: "\${ALERT}", chatId: -1 }
    hook: { type: webhook, url: "https://example.com/hook", secret: "\${HOOK}" }
    mail: { type: email, url: "smtp://user:\${SMTP}@smtp.example.com:587", from: a@example.com, to: [b@example.com] }
bots:
  - { name: anna, token: "\${TOKEN}", username: anna_bot, owner: { id: 1 } }
  - { name: odd, token: "\${ODD}", username: odd_bot, owner: { id: 2 } }
`,
    SECRETS,
    "t.yaml",
  );
  const masked = maskConfig(config) as typeof config;
  const text = JSON.stringify(masked);

  it("when the config is masked, then no token, key, session, password or secret appears", () => {
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain("AAAA");
    expect(text).not.toContain(OPS_HASH.slice(7));
  });

  it("when a bot token has a numeric id, then it shows as <id>:****, else as ****", () => {
    expect(masked.bots.map((b) => b.token)).toEqual(["123456:****", "****"]);
  });

  it("when other secrets are masked, then they show as **** and the SMTP URL keeps user and host", () => {
    expect(masked.server).toMatchObject({ adminToken: "****", metricsToken: "****", adminTokens: { platform: "****", ci: "****" }, auth: { users: { ops: "****" } } });
    expect(masked.store.secretKey).toBe("****");
    expect(masked.testAccount).toMatchObject({ session: "****", apiHash: "****", apiId: 1 });
    expect(masked.alerts.channels.tg).toMatchObject({ botToken: "****" });
    expect(masked.alerts.channels.hook).toMatchObject({ secret: "****" });
    expect(masked.alerts.channels.mail).toMatchObject({ url: "smtp://user:****@smtp.example.com:587" });
  });

  it("when a secret is empty, then it stays empty", () => {
    expect((maskConfig(parseConfig("", {}, "t.yaml")) as typeof config).server.adminToken).toBe("");
  });

  it("when masking, then the config itself is not changed", () => {
    expect(config.bots[0]!.token).toBe(SECRETS.TOKEN);
  });

  it("when secrets are listed for redaction, then every one of them is there", () => {
    expect(configSecrets(config).sort()).toEqual(Object.values(SECRETS).sort());
  });
});

describe("config/example.yaml", () => {
  it("when its variables are set, then it loads with SPEC's example values", () => {
    const config = loadConfigFile(EXAMPLE, EXAMPLE_ENV);
    expect(Object.keys(config.alerts.channels)).toEqual(["ops-telegram", "ops-mail", "alertmanager", "hook", "creators", "pager", "ntfy"]);
    expect(config.alerts.maintenance).toEqual([
      { bots: ["anna"], start: "2026-12-01T02:00:00Z", duration: 7_200_000, reason: "" },
      { labels: { tier: "vip" }, cron: "0 2 * * SUN", timezone: "Europe/Berlin", duration: 3_600_000, reason: "weekly deploy" },
    ]);
    expect(config.reports).toEqual([{ name: "weekly", cron: "0 9 * * MON", timezone: "UTC", window: 7 * 86_400_000, channels: ["ops-mail"] }]);
    expect(resolveBots(config)).toEqual([
      expect.objectContaining({ name: "anna", token: EXAMPLE_ENV.ANNA_BOT_TOKEN, username: "anna_secretary_bot", ownerId: 123456789, probeChats: [987654321] }),
    ]);
  });

  it("when it is loaded, then its values are the defaults of an empty file", () => {
    const example = loadConfigFile(EXAMPLE, EXAMPLE_ENV);
    const empty = parseConfig("", {}, "empty.yaml");
    for (const section of ["telegram", "server", "store", "schedule", "shard", "checks", "testAccount"] as const)
      expect(example[section], section).toEqual(empty[section]);
    const { channels: _channels, maintenance: _maintenance, ...policy } = example.alerts;
    const { channels: _c, maintenance: _m, ...defaults } = empty.alerts;
    expect(policy).toEqual(defaults);
  });

  it("when ALERT_BOT_TOKEN is not set, then loading names it and its key", () => {
    const { ALERT_BOT_TOKEN: _unset, ...env } = EXAMPLE_ENV;
    expect(() => loadConfigFile(EXAMPLE, env)).toThrow(ConfigError);
    try {
      loadConfigFile(EXAMPLE, env);
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(["alerts.channels.ops-telegram.botToken: environment variable ALERT_BOT_TOKEN is not set"]);
    }
  });
});

describe("problems and secrets", () => {
  it("when a secret or a URL with a password is invalid, then the problem does not echo it", () => {
    const yaml = `alerts:
  channels:
    mail: { type: email, url: "smtps//user:hunter2-secret@smtp.example.com", from: a, to: [b] }
    tg: { type: telegram, botToken: 987654321, chatId: 1 }
server: { adminToken: [admin-secret-in-a-list] }
bots:
  - { name: anna, token: 1234567890, username: anna_bot, owner: { id: 1 } }
`;
    let problems: string[] = [];
    try {
      parseConfig(yaml, {}, "t.yaml");
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      "alerts.channels.mail.url: expected an SMTP URL such as smtp://user:****@smtp.example.com:587 (the value is not shown)",
      "alerts.channels.tg.botToken: expected a string (the value is not shown)",
      "server.adminToken: expected a string (the value is not shown)",
      "bots[0].token: expected a string (the value is not shown)",
    ]);
    for (const secret of ["hunter2", "987654321", "admin-secret", "1234567890"]) expect(problems.join("\n")).not.toContain(secret);
  });
});
