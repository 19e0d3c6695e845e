import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHANNELS } from "../../src/alerts/channels/index.ts";
import { ConfigError, loadConfigFile, parseConfig } from "../../src/config/load.ts";

/**
 * blackbox_exporter style: one bad file per rule (testdata/invalid-*.yml) and the exact problems the
 * user sees. The environment is empty, so any ${VAR} without default is unset.
 */

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const KNOWN_CHECKS = "token, identity, business-mode, connection, rights, scope, webhook, webhook-endpoint, round-trip";

function problemsOf(file: string): string[] {
  try {
    loadConfigFile(file, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${file} loaded without problems`);
}

const TABLE: { file: string; problems: (path: string) => string[] }[] = [
  {
    file: "invalid-unknown-top-level-key.yml",
    problems: () => ["servre: unknown key, did you mean `server`? (allowed: telegram, server, store, schedule, shard, checks, testAccount, alerts, reports, bots)"],
  },
  {
    file: "invalid-unknown-nested-key.yml",
    problems: () => ["server.prot: unknown key, did you mean `port`? (allowed: host, port, adminToken, adminTokens, auth, publicUrl, metricsToken, trustProxy)"],
  },
  {
    file: "invalid-misspelt-bot-key.yml",
    problems: () => [
      "bots[0].username: missing required key (expected a string)",
      "bots[0].usrname: unknown key, did you mean `username`? (allowed: name, token, username, botId, owner, businessConnectionId, probeChats, labels, checks)",
      "bots[0].colour: unknown key (allowed: name, token, username, botId, owner, businessConnectionId, probeChats, labels, checks)",
    ],
  },
  {
    file: "invalid-admin-tokens-repeated.yml",
    problems: () => [
      "server.adminTokens.ci: the same token as server.adminTokens.platform",
      'server.adminTokens.admin: "admin" is the audit name of server.adminToken; give this token another name',
      "server.adminTokens.release: the same token as server.adminToken",
      'server.adminTokens.Deploy: expected a token name of lowercase letters, digits, "_" and "-", got "Deploy"',
      "server.adminTokens.empty: expected a non-empty token",
    ],
  },
  {
    file: "invalid-auth-users.yml",
    problems: () => [
      "server.auth.users.ops: expected a bcrypt hash with its cost, such as htpasswd -nbBC 10 ops 'password' prints ($2y$10$…)",
      `server.auth.users["dev:ops"]: expected a user name of letters, digits, '.', '_', '@' and '-', got "dev:ops"`,
      "server.auth.users.cost: expected a bcrypt hash with its cost, such as htpasswd -nbBC 10 ops 'password' prints ($2y$10$…)",
      "server.auth.users.md5: expected a bcrypt hash with its cost, such as htpasswd -nbBC 10 ops 'password' prints ($2y$10$…)",
    ],
  },
  { file: "invalid-unknown-check.yml", problems: () => [`checks.webhok: unknown check, did you mean \`webhook\`? (known: ${KNOWN_CHECKS})`] },
  {
    file: "invalid-unknown-bot-check-option.yml",
    problems: () => ["bots[0].checks.webhook.maxPending: unknown key (allowed: enabled, mode, maxPendingUpdates, errorWindow, stalledAfter)"],
  },
  {
    file: "invalid-bad-duration.yml",
    problems: () => ['bots[0].checks.webhook.errorWindow: expected a duration such as 30s, 10m or 4h, got "10 minutes"'],
  },
  { file: "invalid-bare-number-duration.yml", problems: () => ["schedule.interval: expected a duration such as 30s, 10m or 4h, got 60"] },
  { file: "invalid-interval-too-short.yml", problems: () => ["schedule.interval: expected a duration from 500ms to 1d, got 1ms"] },
  { file: "invalid-interval-too-long.yml", problems: () => ["schedule.interval: expected a duration from 500ms to 1d, got 2d"] },
  { file: "invalid-telegram-timeout-too-long.yml", problems: () => ["telegram.timeout: expected a duration from 100ms to 5m, got 30d"] },
  { file: "invalid-repeat-interval-too-long.yml", problems: () => ["alerts.repeatInterval: expected a duration from 1m to 30d, got 99999999d"] },
  {
    file: "invalid-maintenance-duration-too-long.yml",
    problems: () => ["alerts.maintenance[0].duration: expected a duration from 1s to 366d, got 400d"],
  },
  { file: "invalid-round-trip-timeout-too-long.yml", problems: () => ["checks.round-trip.timeout: expected a duration from 1s to 10m, got 1h"] },
  {
    file: "invalid-webhook-endpoint-connect-to.yml",
    problems: () => [
      "checks.webhook-endpoint.warnDays: expected an integer from 0 to 3650, got -1",
      'checks.webhook-endpoint.connectTo["bots.example.com"]: expected a "host:port" key, as in the webhook URL',
      'checks.webhook-endpoint.connectTo["hooks.example.com:443"]: expected "address:port", ":port" or a URL, got "127.0.0.1"',
    ],
  },
  {
    file: "invalid-error-window-too-long.yml",
    problems: () => ["bots[0].checks.webhook.errorWindow: expected a duration from 0s to 7d, got 30d"],
  },
  {
    file: "invalid-stalled-after-too-short.yml",
    problems: () => [
      "checks.webhook.stalledAfter: expected a duration from 1s to 7d, got 500ms",
      "bots[0].checks.webhook.stalledAfter: expected a duration from 1s to 7d, got 8d",
    ],
  },
  { file: "invalid-bad-enum.yml", problems: () => ['telegram.environment: expected one of prod, test, got "staging"'] },
  { file: "invalid-wrong-type.yml", problems: () => ['schedule.concurrency: expected a positive integer, got "lots"'] },
  {
    file: "invalid-unknown-channel-type.yml",
    problems: () => [`alerts.channels.ops.type: expected one of ${CHANNELS.map((c) => c.type).join(", ")}, got "pigeon"`],
  },
  { file: "invalid-unset-env-var.yml", problems: () => ["bots[0].token: environment variable ANNA_BOT_TOKEN is not set"] },
  { file: "invalid-missing-bot-field.yml", problems: () => ["bots[0].owner: missing required key (expected a mapping)"] },
  { file: "invalid-duplicate-bot-name.yml", problems: () => ['bots[3].name: duplicate bot name "anna"'] },
  {
    file: "invalid-bad-bot-name.yml",
    problems: () => ['bots[0].name: expected a name of lowercase letters, digits, "_" and "-", got "Anna Bot"'],
  },
  {
    file: "invalid-api-root-trailing-slash.yml",
    problems: () => ['telegram.apiRoot: remove the trailing "/" (use "https://api.telegram.org" instead)'],
  },
  {
    file: "invalid-trust-proxy.yml",
    problems: () => [
      'server.trustProxy[1]: expected an IP address, a CIDR such as 10.0.0.0/8, or one of loopback, linklocal, uniquelocal; got "10.0.0.0/33"',
      'server.trustProxy[2]: expected an IP address, a CIDR such as 10.0.0.0/8, or one of loopback, linklocal, uniquelocal; got "proxy.internal"',
      'server.trustProxy[4]: expected an IP address, a CIDR such as 10.0.0.0/8, or one of loopback, linklocal, uniquelocal; got "fd00::/129"',
    ],
  },
  { file: "invalid-shard-index.yml", problems: () => ["shard.index: expected less than shard.count (2), got 2 (shards count from 0)"] },
  {
    file: "invalid-round-trip-without-test-account.yml",
    problems: () => ["testAccount.session: required when the round-trip check is enabled (run `secretary-watch login` to get one)"],
  },
  { file: "invalid-yaml-syntax.yml", problems: (path) => [`${path}:3:1: All mapping items must start at the same column`] },
  { file: "invalid-yaml-duplicate-key.yml", problems: (path) => [`${path}:3:3: Map keys must be unique`] },
  {
    file: "invalid-several.yml",
    problems: () => [
      "server.port: expected an integer from 0 to 65535, got 99999",
      "server.prot: unknown key, did you mean `port`? (allowed: host, port, adminToken, adminTokens, auth, publicUrl, metricsToken, trustProxy)",
      'schedule.interval: expected a duration such as 30s, 10m or 4h, got "1 minute"',
      "bots[0].token: environment variable ANNA_BOT_TOKEN is not set",
      "bots[0].probeChats[0]: expected an integer, got 1.5",
      'bots[1].name: duplicate bot name "anna"',
      "bots[1].owner.id: expected a positive integer, got 0",
      `bots[1].checks.webhok: unknown check, did you mean \`webhook\`? (known: ${KNOWN_CHECKS})`,
    ],
  },
];

describe("invalid config files", () => {
  it.each(TABLE)("when $file is loaded, then exactly its problems are reported", ({ file, problems }) => {
    const path = testdata(file);
    expect(problemsOf(path)).toEqual(problems(path));
  });

  it("when a bot lists 10,000 probe chats, then the config is refused naming the key and the bound; 20 are accepted", () => {
    const config = (n: number) =>
      JSON.stringify({ bots: [{ name: "anna", token: "1:x", username: "anna_bot", owner: { id: 1 }, probeChats: Array.from({ length: n }, (_, i) => i + 1) }] });
    const problems = (n: number) => {
      try {
        parseConfig(config(n), {}, "test config");
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
    };
    expect(problems(10_000)).toEqual(["bots[0].probeChats: at most 20 probe chats per bot (each is one sendChatAction every sweep), got 10000"]);
    expect(problems(20)).toEqual([]);
  });

  it("when the config file does not exist, then the problem names the path", () => {
    expect(problemsOf("./x.yaml")).toEqual(["config file ./x.yaml: not found"]);
  });

  it("when a config is invalid, then the error message lists every problem", () => {
    try {
      loadConfigFile(testdata("invalid-several.yml"), {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as ConfigError).message;
      expect(message).toContain("8 problems");
      for (const problem of (err as ConfigError).problems) expect(message).toContain(problem);
    }
  });
});
