import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CHECK_IDS } from "../../checks/index.ts";
import { configJsonSchema } from "../../src/config/json-schema.ts";

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

/** A structural JSON Schema check: types, keys, required keys, enums, consts, patterns. Returns problems. */
function check(schema: Schema, value: unknown, at = "$"): string[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.some((s) => check(s, value, at).length === 0) ? [] : [`${at}: matches no alternative`];
  const problems = (schema.allOf ?? []).flatMap((s) => check(s, value, at));
  if (schema.const !== undefined && value !== schema.const) problems.push(`${at}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: not in enum`);
  switch (schema.type) {
    case "object": {
      if (!value || typeof value !== "object" || Array.isArray(value)) return [...problems, `${at}: not an object`];
      for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${at}.${key}: required`);
      for (const [key, v] of Object.entries(value)) {
        const sub = schema.properties?.[key] ?? schema.additionalProperties;
        if (sub === false || sub === undefined) problems.push(`${at}.${key}: not allowed`);
        else if (sub !== true) problems.push(...check(sub, v, `${at}.${key}`));
      }
      break;
    }
    case "array":
      if (!Array.isArray(value)) return [...problems, `${at}: not an array`];
      value.forEach((v, i) => schema.items && problems.push(...check(schema.items, v, `${at}[${i}]`)));
      break;
    case "string":
      if (typeof value !== "string") problems.push(`${at}: not a string`);
      else if (schema.pattern && !new RegExp(schema.pattern).test(value)) problems.push(`${at}: does not match ${schema.pattern}`);
      break;
    case "integer":
      if (!Number.isInteger(value)) problems.push(`${at}: not an integer`);
      break;
    case "number":
      if (typeof value !== "number") problems.push(`${at}: not a number`);
      break;
    case "boolean":
      if (typeof value !== "boolean") problems.push(`${at}: not a boolean`);
      break;
  }
  return problems;
}

const schema = configJsonSchema() as Schema & { $schema: string; title: string };
const example = parse(readFileSync(fileURLToPath(new URL("../../config/example.yaml", import.meta.url)), "utf8")) as unknown;

describe("configJsonSchema", () => {
  it("when generated, then it is a titled draft 2020-12 schema", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.title).toBe("secretary-watch configuration");
  });

  it("when generated, then checks and bots[].checks list every registered check id", () => {
    const defaults = Object.keys(schema.properties!.checks!.properties!);
    const overrides = Object.keys(schema.properties!.bots!.items!.properties!.checks!.properties!);
    for (const id of CHECK_IDS) {
      expect(defaults).toContain(id);
      expect(overrides).toContain(id);
    }
    expect(schema.properties!.checks!.additionalProperties).toBe(false);
  });

  it("when durations are described, then they are strings with their defaults written as durations", () => {
    const webhook = schema.properties!.checks!.properties!.webhook!.properties!;
    expect(webhook.errorWindow).toMatchObject({ type: "string", default: "10m" });
  });

  it("when config/example.yaml is checked against it, then nothing is rejected", () => {
    expect(check(schema, example)).toEqual([]);
  });

  it("when a file has an unknown key or a bare-number duration, then the structure check rejects it", () => {
    expect(check(schema, { server: { prot: 1 } })).toEqual(["$.server.prot: not allowed"]);
    expect(check(schema, { schedule: { interval: 60 } })).toEqual(["$.schedule.interval: not a string"]);
  });
});

describe("the committed config/secretary-watch.schema.json", () => {
  it("when compared with the schema generated from the validation code, then it is identical (run `npm run schema` to update)", () => {
    const committed = JSON.parse(readFileSync(fileURLToPath(new URL("../../config/secretary-watch.schema.json", import.meta.url)), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
