import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { configDiff, snapshot, summarize, type ConfigChanges } from "../../src/reload/config-diff.ts";

const bot = (name: string, extra: Record<string, unknown> = {}) => ({ name, token: `1000:${name}-secret-Tk`, username: `${name}_bot`, owner: { id: 1 }, ...extra });
const BASE = {
  store: { path: "./data/a.db", secretKey: "old-secret-key-0123456789abcdef" },
  alerts: { channels: { hook: { type: "webhook", url: "http://127.0.0.1:1/hook" } } },
  bots: [bot("anna"), bot("bob")],
};
const config = (over: Record<string, unknown>) => parseConfig(JSON.stringify({ ...BASE, ...over }), {}, "test");
const diff = (over: Record<string, unknown>): ConfigChanges => configDiff(snapshot(config({})), snapshot(config(over)));

describe("configDiff", () => {
  it.each<[string, Record<string, unknown>, Partial<ConfigChanges>]>([
    ["the same file", {}, { bots: { added: [], removed: [], changed: [] }, sections: [], refused: [] }],
    ["a bot added", { bots: [bot("anna"), bot("bob"), bot("cleo")] }, { bots: { added: ["cleo"], removed: [], changed: [] } }],
    ["a bot removed", { bots: [bot("anna")] }, { bots: { added: [], removed: ["bob"], changed: [] } }],
    ["a bot's labels changed", { bots: [bot("anna", { labels: { tier: "vip" } }), bot("bob")] }, { bots: { added: [], removed: [], changed: ["anna"] } }],
    ["the bots reordered", { bots: [bot("bob"), bot("anna")] }, { bots: { added: [], removed: [], changed: [] }, sections: [] }],
    [
      "a check default changed",
      { checks: { webhook: { maxPendingUpdates: 5 } } },
      { bots: { added: [], removed: [], changed: ["anna", "bob"] }, sections: ["checks"] },
    ],
    [
      "a check default changed that a bot overrides with the old value",
      { checks: { webhook: { maxPendingUpdates: 5 } }, bots: [bot("anna", { checks: { webhook: { maxPendingUpdates: 100 } } }), bot("bob")] },
      { bots: { added: [], removed: [], changed: ["bob"] } },
    ],
    ["the policy", { alerts: { ...BASE.alerts, failAfter: 3 } }, { sections: ["alerts.policy"] }],
    ["a channel", { alerts: { channels: { hook: { type: "webhook", url: "http://127.0.0.1:2/hook" } } } }, { sections: ["alerts.channels"] }],
    ["the interval and concurrency", { schedule: { interval: "5s", concurrency: 4 } }, { sections: ["schedule.interval", "schedule.concurrency"] }],
    ["the public URL", { server: { publicUrl: "https://watch.example.com" } }, { sections: ["server.publicUrl"], refused: [] }],
    ["the store path", { store: { ...BASE.store, path: "./data/b.db" } }, { refused: ["store.path: cannot change without a restart (was ./data/a.db, now ./data/b.db)"] }],
    ["the port", { server: { port: 9000 } }, { refused: ["server.port: cannot change without a restart (was 9464, now 9000)"] }],
    ["the shard", { shard: { index: 1, count: 2 } }, { refused: ["shard.index: cannot change without a restart (was 0, now 1)", "shard.count: cannot change without a restart (was 1, now 2)"] }],
    ["the Telegram root", { telegram: { apiRoot: "http://127.0.0.1:9" } }, { refused: ["telegram.apiRoot: cannot change without a restart (was https://api.telegram.org, now http://127.0.0.1:9)"] }],
  ])("when %s, then the diff says so", (_what, over, expected) => {
    expect(diff(over)).toMatchObject(expected);
  });

  it("when a secret restart-only key changes, then it is refused by name and neither value is shown", () => {
    const [line, ...more] = diff({ store: { ...BASE.store, secretKey: "new-secret-key-0123456789abcdef" } }).refused;
    expect(more).toEqual([]);
    expect(line).toMatch(/^store\.secretKey: cannot change without a restart/);
    expect(line).not.toContain("secret-key-0123");
  });

  it("when bots and sections change, then the summary counts them", () => {
    const changes = diff({ bots: [bot("bob"), bot("cleo"), bot("dora")], schedule: { interval: "5s" } });
    expect(summarize(changes)).toBe("2 bots added, 1 bot removed, schedule.interval changed");
    expect(summarize(diff({}))).toBe("nothing changed");
  });
});
