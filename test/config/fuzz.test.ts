import fc from "fast-check";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

/** A problem names where it is: a key path (`bots[0].token: …`) or a file position (`f.yaml:3:1: …`). */
const SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\]|\.[A-Za-z0-9_-]+)`;
const NAMED = new RegExp(String.raw`^(\(top level\)|fuzz\.yaml(:\d+:\d+)?|${SEGMENT}+): \S`);

/** Either a config, or a ConfigError whose every problem names its place. Anything else is a bug. */
function load(text: string): "ok" | "error" {
  try {
    parseConfig(text, { SET: "value", PORT: "9464" }, "fuzz.yaml");
    return "ok";
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p, p).toMatch(NAMED);
    return "error";
  }
}

const KEYS = ["telegram", "server", "store", "schedule", "shard", "checks", "testAccount", "alerts", "bots", "apiRoot", "timeout", "interval",
  "port", "name", "token", "username", "owner", "id", "webhook", "rights", "require", "mode", "channels", "type", "url", "labels", "probeChats",
  "round-trip", "enabled", "maintenance", "duration", "start", "\u00e9\u00e8", "../../etc/passwd", "__proto__", "constructor"];
const scalar = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string(), fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("30s", "10m", "-1s", "0s", "${SET}", "${UNSET}", "${PORT}", "${X:-9}", "$${SET}", "${", "https://api.telegram.org/", "webhook", "reply"),
);
const doc = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, scalar, tie("object"), tie("array")),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 6 }),
  array: fc.array(tie("node"), { maxLength: 4 }),
})).object;

/** Documents that are mostly valid configs: bots with random, often right, fields, and `${…}` references. */
const validDoc = fc.record(
  {
    telegram: fc.record({ apiRoot: fc.constantFrom("http://127.0.0.1:8081", "${SET}", "${UNSET}", "${API:-http://localhost:1}"), timeout: fc.constantFrom("10s", "${PORT}", 5) }, { requiredKeys: [] }),
    bots: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom("anna", "bob", "carl", "Dup", "${SET}"),
        token: fc.constantFrom("123456:AAbbCCdd", "${SET}", "${UNSET}"),
        username: fc.constantFrom("anna_bot", "bob_bot", "x"),
        owner: fc.record({ id: fc.oneof(fc.integer({ min: 1, max: 1e9 }), fc.constant("${PORT}")) }),
      }),
      { maxLength: 4, selector: (b) => b.username },
    ),
  },
  { requiredKeys: ["bots"] },
);

describe("the config loader under random input", () => {
  it("when random YAML documents are loaded, then each is valid or every problem names its key path", () => {
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(doc, (d) => {
        outcomes[load(YAML.stringify(d))]++;
      }),
      { numRuns: 1500 },
    );
    console.log(`config fuzz: 1500 documents, ${outcomes.ok} valid, ${outcomes.error} rejected with named problems`);
    expect(outcomes.error).toBeGreaterThan(0);
  });

  it("when a random document is written as JSON, then it loads exactly as the YAML reader reads the same text (the JSON fast path changes nothing)", () => {
    const env = { SET: "value", PORT: "9464" };
    const outcome = (text: string) => {
      try {
        return { config: parseConfig(text, env, "fuzz.yaml") };
      } catch (err) {
        return { problems: (err as ConfigError).problems };
      }
    };
    const taken = { ok: 0, error: 0 };
    fc.assert(
      fc.property(fc.oneof(doc, validDoc), (d) => {
        const json = JSON.stringify(d);
        // A leading comment makes the same text YAML-only: the loader's YAML path reads it.
        const viaJson = outcome(json);
        expect(viaJson).toEqual(outcome(`# the YAML path\n${json}`));
        taken[viaJson.config ? "ok" : "error"]++;
      }),
      { numRuns: 1000 },
    );
    console.log(`config fuzz: 1000 JSON documents, ${taken.ok} valid, ${taken.error} rejected, each as the YAML path reads it`);
    expect(taken.ok).toBeGreaterThan(100);
  });

  it("when random text (broken YAML, binary, huge numbers) is loaded, then it never escapes as anything but a ConfigError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1"))), (text) => {
        load(text);
      }),
      { numRuns: 1500 },
    );
  });

  it("when valid bots are mutated one field at a time, then the problem names exactly that field", () => {
    const base = { name: "anna", token: "1:x", username: "anna_bot", owner: { id: 1 } };
    fc.assert(
      fc.property(fc.constantFrom("name", "username", "owner", "token"), fc.oneof(fc.integer(), fc.constant(""), fc.constant("Bad Name!"), fc.constant([]), fc.constant({})), (key, value) => {
        const bot = { ...base, [key]: value };
        if (load(YAML.stringify({ bots: [bot] })) === "ok") return;
        try {
          parseConfig(YAML.stringify({ bots: [bot] }), {}, "fuzz.yaml");
        } catch (err) {
          expect((err as ConfigError).problems.some((p) => p.startsWith(`bots[0].${key}`))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("inputs the fuzzer once broke the loader with", () => {
  it.each([
    ["shard: null\n", "shard: expected a mapping, got an empty value"],
    ["telegram: *nowhere\n", "fuzz.yaml: Unresolved alias (the anchor must be set before the alias): nowhere"],
  ])("when the file is %j, then it is a ConfigError: %s", (text, problem) => {
    expect(() => parseConfig(text, {}, "fuzz.yaml")).toThrow(ConfigError);
    try {
      parseConfig(text, {}, "fuzz.yaml");
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([problem]);
    }
  });
});
