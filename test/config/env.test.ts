import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { substituteEnv, substituteString } from "../../src/config/env.ts";

function substitute(yaml: string, env: Record<string, string | undefined>) {
  const doc = parseDocument(yaml);
  const problems = substituteEnv(doc, env);
  return { value: doc.toJS() as Record<string, unknown>, problems };
}

describe("${VAR} substitution", () => {
  it("when VAR is set, then its value replaces the reference, also inside a longer string", () => {
    const { value } = substitute('url: "https://${HOST}:8443/x"\n', { HOST: "example.com" });
    expect(value.url).toBe("https://example.com:8443/x");
  });

  it("when VAR is unset or empty and a default is given, then the default is used", () => {
    expect(substitute('a: "${NOPE:-fallback}"\nb: "${EMPTY:-fallback}"\n', { EMPTY: "" }).value).toEqual({ a: "fallback", b: "fallback" });
  });

  it("when VAR is set and a default is given, then VAR wins", () => {
    expect(substitute('a: "${SET:-fallback}"\n', { SET: "value" }).value).toEqual({ a: "value" });
  });

  it("when a plain scalar resolves to a number or boolean, then it is typed as YAML would", () => {
    const { value } = substitute("port: ${PORT}\nresolved: ${SEND:-false}\nid: ${ID}\n", { PORT: "9464", ID: "-1001234567890" });
    expect(value).toEqual({ port: 9464, resolved: false, id: -1001234567890 });
  });

  it("when a quoted scalar resolves to digits, then it stays a string", () => {
    expect(substitute('port: "${PORT}"\n', { PORT: "9464" }).value).toEqual({ port: "9464" });
  });

  it("when a plain scalar resolves to nothing, then it is the empty string", () => {
    expect(substitute("token: ${TOKEN:-}\n", {}).value).toEqual({ token: "" });
  });

  it("when a plain scalar resolves to text with a colon, then it stays one string", () => {
    expect(substitute("token: ${TOKEN}\n", { TOKEN: "123456:ABC-def" }).value).toEqual({ token: "123456:ABC-def" });
  });

  it("when $${ is written, then a literal ${ remains and nothing is looked up", () => {
    const { value, problems } = substitute('a: "$${HOME}"\nb: "$5 or $${PRICE} with ${PRICE}"\n', { PRICE: "5", HOME: "/root" });
    expect(problems).toEqual([]);
    expect(value).toEqual({ a: "${HOME}", b: "$5 or ${PRICE} with 5" });
  });

  it("when VAR is unset without default, then the problem names the variable and the key path", () => {
    const { problems } = substitute("bots:\n  - name: anna\n    token: ${ANNA_BOT_TOKEN}\n", {});
    expect(problems).toEqual([{ path: ["bots", 0, "token"], message: "environment variable ANNA_BOT_TOKEN is not set" }]);
  });

  it("when a reference is malformed, then the problem says how to write one", () => {
    expect(substituteString("${1X}", {}).problems).toEqual([
      'invalid reference "${1X}": write ${VAR} or ${VAR:-default} (or $${ for a literal ${)',
    ]);
  });

  it("when a key contains ${, then it is left alone", () => {
    expect(substitute('"${K}": 1\n', {}).value).toEqual({ "${K}": 1 });
  });
});
