import { describe, expect, it } from "vitest";
import { maskToken, redactSecrets, registerSecret } from "../src/redact.ts";

describe("redactSecrets", () => {
  it("when a token-shaped value appears in text, then only its bot id stays", () => {
    // Built here so that no real-looking token is committed: the shape of BotFather's tokens.
    const realShaped = `987654321:AA${"x".repeat(33)}`;
    expect(redactSecrets(`token ${realShaped} rejected`)).toBe("token 987654321:**** rejected");
  });
  it("when a Bot API URL appears, then the token path segment is masked", () => {
    expect(redactSecrets("POST https://api.telegram.org/bot1:x-y/getMe failed")).toBe("POST https://api.telegram.org/bot****/getMe failed");
  });
  it("when a registered secret of any shape appears, then it is masked", () => {
    registerSecret("hunter2-smtp-password");
    expect(redactSecrets("auth failed for hunter2-smtp-password")).toBe("auth failed for ****");
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
