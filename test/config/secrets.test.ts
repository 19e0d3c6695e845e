import { describe, expect, it } from "vitest";
import { isSecretKey, maskUrlPasswords, urlPasswords } from "../../src/config/secrets.ts";

describe("what a secret in the config is", () => {
  it("when a key is named like a secret anywhere in its name and in any case, then its value is a secret", () => {
    for (const key of ["token", "botToken", "adminToken", "metricsToken", "secretKey", "secret", "password", "passwd", "session", "apiHash", "APIKEY", "routingKey"]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ["name", "url", "apiRoot", "username", "chatId", "from"]) expect(isSecretKey(key), key).toBe(false);
  });

  it("when a text holds URLs with credentials, then each password is masked and the rest is kept", () => {
    expect(maskUrlPasswords("smtp://alerts:hunter2@smtp.example.com:587 and https://u:p%40ss@hook.example.com/x")).toBe(
      "smtp://alerts:****@smtp.example.com:587 and https://u:****@hook.example.com/x",
    );
    expect(maskUrlPasswords("https://hook.example.com/x?user=a@b")).toBe("https://hook.example.com/x?user=a@b");
  });

  it("when a URL's password is percent-encoded, then both its written and its decoded form are secrets", () => {
    expect(urlPasswords(new URL("smtp://alerts:p%40ss%3Aword@smtp.example.com"))).toEqual(["p%40ss%3Aword", "p@ss:word"]);
    expect(urlPasswords(new URL("smtp://alerts:plain@smtp.example.com"))).toEqual(["plain"]);
    expect(urlPasswords(new URL("smtp://alerts@smtp.example.com"))).toEqual([]);
  });
});
