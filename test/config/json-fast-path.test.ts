/**
 * A config written as JSON is read by JSON.parse, not the YAML document model (10,000 bots: 1 s and
 * 120 MB of heap less). It must load exactly as YAML would read the same text.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load.ts";
import { readJsonConfig } from "../../src/config/json-fast-path.ts";

const bot = (name: string, extra = "") => `{"name": "${name}", "token": "123456:AAbbCCdd${name}", "username": "${name}_bot", "owner": {"id": 7}${extra}}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, {}, "c.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("the config loaded");
}

describe("the JSON fast path", () => {
  it("when a JSON config is valid, then it is read by JSON.parse with ${VAR} replaced in strings, never in keys, and never retyped", () => {
    const text = `{"telegram": {"apiRoot": "\${API}"}, "bots": [${bot("anna", ', "labels": {"${TEAM}": "${TEAM}", "port": "${PORT}"}')}]}`;
    const env = { API: "http://127.0.0.1:8081", TEAM: "growth", PORT: "9464" };
    expect(readJsonConfig(text, env)?.data).toMatchObject({
      telegram: { apiRoot: "http://127.0.0.1:8081" },
      bots: [{ labels: { "${TEAM}": "growth", port: "9464" } }],
    });
    expect(parseConfig(text, env, "c.json").bots[0]!.labels).toEqual({ "${TEAM}": "growth", port: "9464" });
  });

  it.each([
    ["at the top level", `{"bots": [], "bots": [${bot("anna")}]}`],
    ["inside a bot", `{"bots": [${bot("anna", ', "name": "bob"')}]}`],
    ["after a string holding colons and escaped quotes", `{"telegram": {"apiRoot": "http://a:1/\\":x", "apiRoot": "http://b:2"}, "bots": []}`],
  ])("when a key is repeated %s, then the YAML reader's error is given, not JSON.parse's last-one-wins", (_where, text) => {
    expect(readJsonConfig(text, {})).toBeUndefined();
    expect(problems(text).join("\n")).toMatch(/Map keys must be unique/);
  });

  it("when a string holds colons but no key repeats, then the fast path takes it", () => {
    const text = `{"telegram": {"apiRoot": "http://user:pw@a:1/\\"x:y\\\\"}, "bots": []}`;
    expect(readJsonConfig(text, {})?.data).toEqual({ telegram: { apiRoot: 'http://user:pw@a:1/"x:y\\' }, bots: [] });
  });

  it("when a variable is unset, then the YAML path names the key", () => {
    const text = `{"bots": [${bot("anna").replace('"123456:AAbbCCddanna"', '"${BOT_TOKEN}"')}]}`;
    expect(readJsonConfig(text, {})).toBeUndefined();
    expect(problems(text)).toEqual(["bots[0].token: environment variable BOT_TOKEN is not set"]);
  });

  it("when the text is YAML, or JSON that is not an object, then the fast path declines", () => {
    expect(readJsonConfig("bots: []\n", {})).toBeUndefined();
    expect(readJsonConfig("[1, 2]", {})).toBeUndefined();
    expect(readJsonConfig('{"bots": [}', {})).toBeUndefined();
  });
});
