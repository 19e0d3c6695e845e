import { describe, expect, it } from "vitest";
import { forgetSecret, maskToken, redactSecrets, redactStrings, registerSecret } from "../src/redact.ts";

describe("redactSecrets", () => {
  it("when a token-shaped value appears in text, then only its bot id stays", () => {
    // Built here so that no real-looking token is committed: the shape of BotFather's tokens.
    const realShaped = `987654321:AA${"x".repeat(33)}`;
    expect(redactSecrets(`token ${realShaped} rejected`)).toBe("token 987654321:**** rejected");
  });
  it("when a Bot API URL appears, then the token path segment is masked", () => {
    expect(redactSecrets("POST https://api.telegram.org/bot1:x-y/getMe failed")).toBe("POST https://api.telegram.org/bot****/getMe failed");
  });
  it("when a route of our own such as /status/bots/:name appears, then it is left as it was", () => {
    const text = "GET /status/bots/anna 404; POST /api/v1/bots/kira/run";
    expect(redactSecrets(text)).toBe(text);
  });
  it("when a registered secret of any shape appears, then it is masked", () => {
    registerSecret("hunter2-smtp-password");
    expect(redactSecrets("auth failed for hunter2-smtp-password")).toBe("auth failed for ****");
  });
  it("when one registered secret begins with another (a URL and its token part), then the whole of the longer one is masked", () => {
    registerSecret("hooks-part-Zx81");
    registerSecret("hooks-part-Zx81/and-the-rest-Qp2");
    expect(redactSecrets("posting to hooks-part-Zx81/and-the-rest-Qp2 failed; hooks-part-Zx81 alone")).toBe("posting to **** failed; **** alone");
  });
  it("when text holds times, ports and ids, then nothing is masked", () => {
    const text = "at 2026-11-24T22:19:30Z on 127.0.0.1:9464 bot id 7000001 chat -1001234567890";
    expect(redactSecrets(text)).toBe(text);
  });
  it("when masking a token for display, then the bot id is kept", () => {
    expect(maskToken("7000001:demo-anna-Xk2v9")).toBe("7000001:****");
    expect(maskToken("not-a-token")).toBe("****");
  });
});

describe("redactSecrets on percent-encoded text (issue 12, item 3)", () => {
  const token = "7000001:demo-anna-Xk2v9";
  const encodeAll = (text: string) => [...text].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");

  it.each([
    ["the colon as %3A", `failed for 7000001%3Ademo-anna-Xk2v9 today`, "failed for 7000001:**** today"],
    ["the colon as lower-case %3a", `t=7000001%3ademo-anna-Xk2v9&x=1`, "t=7000001:****&x=1"],
    ["every character encoded", `t=${encodeAll(token)}&x=1`, "t=7000001:****&x=1"],
    ["the colon encoded twice", `t=7000001%253Ademo-anna-Xk2v9`, "t=7000001:****"],
    ["a bot URL with the colon encoded", `https://host/bot7000001%3Ademo-anna-Xk2v9/hook`, "https://host/bot****/hook"],
  ])("when a token is in text with %s, then it is masked", (_what, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("when a registered secret of any shape is fully percent-encoded, then it is masked", () => {
    registerSecret("smtp-pass:word!42");
    expect(redactSecrets(`auth ${encodeURIComponent("smtp-pass:word!42")} and ${encodeAll("smtp-pass:word!42")}`)).toBe("auth **** and ****");
    forgetSecret("smtp-pass:word!42");
  });

  it("when percent-encoded text holds no secret, then it is left exactly as it was", () => {
    const text = "GET /search?q=a%20b%2Fc&p=100%25 and a stray % sign, %zz and %E0%A4%A";
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("redactStrings", () => {
  it("when a Bot API result holds tokens in nested texts, then each text is masked and everything else is kept", () => {
    const result = { id: 7, ok: true, none: null, user: { first_name: "7000001:demo-anna-Xk2v9", tags: ["x", "https://h/bot7000001:demo-anna-Xk2v9/y"] } };
    expect(redactStrings(result)).toEqual({ id: 7, ok: true, none: null, user: { first_name: "7000001:****", tags: ["x", "https://h/bot****/y"] } });
  });

  it("when nothing in a result needs masking, then the same value comes back; when a text does, a copy and the original as it was", () => {
    const clean = { id: 7, user: { first_name: "Anna", tags: ["x", "https://h/y"] }, none: null };
    expect(redactStrings(clean)).toBe(clean);
    const dirty = { id: 7, user: { first_name: "Anna", tags: ["x", "https://h/bot7000001:demo-anna-Xk2v9/y"] }, kept: { a: "b" } };
    const out = redactStrings(dirty);
    expect(out).not.toBe(dirty);
    expect(out.user.tags).toEqual(["x", "https://h/bot****/y"]);
    expect(dirty.user.tags[1]).toBe("https://h/bot7000001:demo-anna-Xk2v9/y");
    // What held nothing to mask is shared, not copied.
    expect(out.kept).toBe(dirty.kept);
    // The shortest thing masked: a `/bot<id>` path of five characters.
    expect(redactStrings(["/bot1", "/bo1"])).toEqual(["/bot****", "/bo1"]);
  });

  it("when a result has a __proto__ key, then it stays a plain field and the prototype is untouched", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": "b"}') as Record<string, unknown>;
    const out = redactStrings(parsed);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "a"]);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("when 10,000 secrets are registered, then a Bot API answer is still redacted in well under a millisecond", () => {
    const tokens = Array.from({ length: 10_000 }, (_, i) => `weird-shaped-secret-${i}-Zz`);
    for (const t of tokens) registerSecret(t);
    const answer = { url: "https://bots.example.com/hook", last_error_message: `failed with weird-shaped-secret-9999-Zz`, user: { first_name: "Anna", username: "anna_bot" } };
    const runs = 2000;
    redactStrings(answer);
    const started = performance.now();
    for (let i = 0; i < runs; i++) redactStrings(answer);
    const perAnswerMs = (performance.now() - started) / runs;
    console.log(`redact: one getWebhookInfo-sized answer with 10,000 registered secrets: ${(perAnswerMs * 1000).toFixed(1)} µs`);
    expect(redactStrings(answer).last_error_message).toBe("failed with ****");
    for (const t of tokens) forgetSecret(t);
    expect(perAnswerMs).toBeLessThan(1);
  });
});
