/**
 * A validator for Bot API requests and answers, built from the Bot API's machine-readable spec
 * (test/fixtures/botapi/botapi-spec.json, Bot API 10.1, with botapi-10.3-delta.json's additions merged in).
 *
 * The spec lists each method's parameters and each type's fields as `{ name, types, required }`, where
 * `types` are alternatives ("Integer or String" is `["Integer", "String"]`) written as the documentation
 * writes them: `Integer`, `Float`, `String`, `Boolean`, `True`, `InputFile`, `Array of X` (nested), or the
 * name of an object type. An object type has `fields`, or `subtypes` when it is one of several kinds
 * (MessageOrigin, ChatMember). A method's `returns` is its result's alternatives.
 *
 * Every check answers a list of problems, each naming the path of what is wrong
 * (`result.user.id is a string, expected Integer`); an empty list is conformance. Strict where the
 * documentation is: required fields present, optional fields absent rather than null, `True` only ever
 * true, no field or parameter the spec does not name (a misspelling would otherwise pass unseen).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { nearest } from "../../src/config/did-you-mean.ts";

export interface SpecField {
  name: string;
  types: string[];
  required: boolean;
}
interface SpecType {
  name: string;
  fields?: SpecField[];
  subtypes?: string[];
}
interface SpecMethod {
  name: string;
  fields?: SpecField[];
  returns: string[];
}
export interface BotApiSpec {
  version: string;
  methods: Record<string, SpecMethod>;
  types: Record<string, SpecType>;
}
interface SpecDelta {
  addFields: { types: Record<string, SpecField[]>; methods: Record<string, SpecField[]> };
}

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/botapi");

/** The 10.1 spec with the fields 10.3 added (the delta's `addFields`) appended to their types and methods. */
export function loadBotApiSpec(dir = FIXTURES): BotApiSpec {
  const spec = JSON.parse(readFileSync(path.join(dir, "botapi-spec.json"), "utf8")) as BotApiSpec;
  const delta = JSON.parse(readFileSync(path.join(dir, "botapi-10.3-delta.json"), "utf8")) as SpecDelta;
  for (const [kind, additions] of [["types", delta.addFields.types], ["methods", delta.addFields.methods]] as const) {
    for (const [name, fields] of Object.entries(additions)) {
      const entry = spec[kind][name];
      if (!entry) throw new Error(`botapi-10.3-delta.json adds fields to ${kind}.${name}, which the spec does not have`);
      const known = new Set((entry.fields ?? []).map((f) => f.name));
      entry.fields = [...(entry.fields ?? []), ...fields.filter((f) => !known.has(f.name))];
    }
  }
  return { ...spec, version: "Bot API 10.3" };
}

export interface ValidatorOptions {
  /**
   * Fields the real server sends beyond the spec, by type name: they pass unchecked. Each is a known
   * fact about telegram-bot-api (say why where it is given), never a way to silence a typo.
   */
  serverExtras?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What telegram-bot-api sends beyond the spec on the surface secretary-watch uses: the deprecated
 * top-level can_reply of a BusinessConnection, still written next to `rights` (Client.cpp 5534-5552,
 * shared/reference/telegram-business-facts.md). The sandbox imitates it.
 */
export const SERVER_EXTRAS: Readonly<Record<string, readonly string[]>> = { BusinessConnection: ["can_reply"] };

const SCALARS: Record<string, { test: (v: unknown) => boolean }> = {
  Integer: { test: (v) => typeof v === "number" && Number.isSafeInteger(v) },
  Float: { test: (v) => typeof v === "number" && Number.isFinite(v) },
  String: { test: (v) => typeof v === "string" },
  Boolean: { test: (v) => typeof v === "boolean" },
  True: { test: (v) => v === true },
  // A file_id or URL: the only form a JSON request can carry (an upload is multipart).
  InputFile: { test: (v) => typeof v === "string" },
};
const ARRAY_OF = /^Array of (.+)$/;

export class BotApiValidator {
  readonly spec: BotApiSpec;
  readonly #extras: Readonly<Record<string, readonly string[]>>;

  constructor(spec: BotApiSpec = loadBotApiSpec(), options: ValidatorOptions = {}) {
    this.spec = spec;
    this.#extras = options.serverExtras ?? {};
  }

  /** A request: the method exists, every parameter is one of its own, the required ones are there, each of its type. */
  request(method: string, params: Record<string, unknown>): string[] {
    const spec = this.spec.methods[method];
    if (!spec) return [`${method} is not a Bot API method`];
    return this.#fields(method, `${method} parameter`, spec.fields ?? [], params, []);
  }

  /** A successful answer's `result`, against the method's return type. */
  result(method: string, result: unknown): string[] {
    const spec = this.spec.methods[method];
    if (!spec) return [`${method} is not a Bot API method`];
    return this.value(spec.returns, result, "result");
  }

  /**
   * A whole answer: `{ ok: true, result }` with HTTP 200 (and the result of the method's type), or
   * `{ ok: false, error_code, description, parameters? }` whose error_code is the HTTP status. The
   * documentation's optional `description` may accompany either.
   */
  answer(method: string, status: number, body: unknown): string[] {
    if (!isObject(body)) return [`the answer is ${describe(body)}, expected a JSON object`];
    if (body.ok === true) {
      const problems = this.#keys(body, ["ok", "result", "description"], "the answer");
      if (status !== 200) problems.push(`"ok": true with HTTP ${status}, expected 200`);
      if (!("result" in body)) problems.push(`"ok": true without a result`);
      if (body.description !== undefined && typeof body.description !== "string") problems.push(`description is ${describe(body.description)}, expected String`);
      return [...problems, ...("result" in body ? this.result(method, body.result) : [])];
    }
    if (body.ok !== false) return [`"ok" is ${describe(body.ok)}, expected true or false`];
    const problems = this.#keys(body, ["ok", "error_code", "description", "parameters"], "the error answer");
    problems.push(...this.value(["Integer"], body.error_code, "error_code"), ...this.value(["String"], body.description, "description"));
    if (typeof body.error_code === "number" && body.error_code !== status) problems.push(`error_code ${body.error_code} with HTTP ${status}: Telegram's error_code is the HTTP status`);
    if ("parameters" in body) problems.push(...this.value(["ResponseParameters"], body.parameters, "parameters"));
    return problems;
  }

  /** `value` at `where` against the alternatives `types` (one of them must fit). */
  value(types: readonly string[], value: unknown, where: string): string[] {
    if (value === null || value === undefined) return [`${where} is ${value === null ? "null" : "missing"}, expected ${types.join(" or ")}`];
    const fitting = types.filter((t) => this.#kindFits(t, value));
    if (fitting.length === 0) return [`${where} is ${describe(value)}, expected ${types.join(" or ")}`];
    let best: string[] | undefined;
    for (const type of fitting) {
      const problems = this.#one(type, value, where);
      if (problems.length === 0) return [];
      if (!best || problems.length < best.length) best = problems;
    }
    return best!;
  }

  #one(type: string, value: unknown, where: string): string[] {
    const array = ARRAY_OF.exec(type);
    if (array) return (value as unknown[]).flatMap((item, i) => this.value([array[1]!], item, `${where}[${i}]`));
    if (SCALARS[type]) return [];
    const spec = this.spec.types[type];
    if (!spec) return [`${where}: ${type} is not a type of the Bot API spec`];
    if (spec.subtypes) {
      const fits = spec.subtypes.map((sub) => this.value([sub], value, where));
      if (fits.some((p) => p.length === 0)) return [];
      return [`${where} is none of ${type}'s kinds (${spec.subtypes.join(", ")}); closest: ${fits.sort((a, b) => a.length - b.length)[0]!.join("; ")}`];
    }
    return this.#fields(type, `${where}`, spec.fields ?? [], value as Record<string, unknown>, this.#extras[type] ?? []);
  }

  /** Fields (or parameters) of one object; `label` prefixes each name, `${label}.${name}` or `${label} ${name}`. */
  #fields(owner: string, label: string, fields: readonly SpecField[], object: Record<string, unknown>, extras: readonly string[]): string[] {
    const at = (name: string) => (label.endsWith(" parameter") ? `${label} ${name}` : `${label}.${name}`);
    const problems: string[] = [];
    for (const field of fields) {
      const v = object[field.name];
      if (v === undefined) {
        if (field.required) problems.push(`${at(field.name)} is missing (required by ${owner})`);
      } else if (v === null) {
        problems.push(`${at(field.name)} is null: ${field.required ? "it is required" : "an optional field is left out, never null"}`);
      } else {
        problems.push(...this.value(field.types, v, at(field.name)));
      }
    }
    const known = new Set([...fields.map((f) => f.name), ...extras]);
    for (const key of Object.keys(object)) {
      if (!known.has(key)) problems.push(`${at(key)} is not a ${label.endsWith(" parameter") ? "parameter" : "field"} of ${owner}${closest(key, fields)}`);
    }
    return problems;
  }

  #keys(body: Record<string, unknown>, allowed: readonly string[], what: string): string[] {
    return Object.keys(body).filter((k) => !allowed.includes(k)).map((k) => `${what} has "${k}", which is none of ${allowed.join(", ")}`);
  }

  /** Whether `value` is of the JSON kind `type` asks for (number, string, array, object), before its details. */
  #kindFits(type: string, value: unknown): boolean {
    if (ARRAY_OF.test(type)) return Array.isArray(value);
    const scalar = SCALARS[type];
    if (scalar) return scalar.test(value);
    return isObject(value);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? `the number ${value}` : `the fraction ${value}`;
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** ", did you mean x?" for a name close enough to a field's to be its typo, else nothing. */
function closest(name: string, fields: readonly SpecField[]): string {
  const near = nearest(name, fields.map((f) => f.name));
  return near ? `, did you mean ${near}?` : "";
}
