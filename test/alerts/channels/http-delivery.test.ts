/** The retry/permanent classification every HTTP channel (webhook, Alertmanager, Telegram) shares. */
import { describe, expect, it } from "vitest";
import { statusFailure, transportFailure } from "../../../src/alerts/channels/http-delivery.ts";

describe("statusFailure", () => {
  const table: [status: number, retryAfterMs: number | undefined, permanent: boolean, expectedRetryAfterMs: number | undefined][] = [
    [429, 30_000, false, 30_000],
    [429, undefined, false, undefined],
    [400, undefined, true, undefined],
    [403, undefined, true, undefined],
    [404, undefined, true, undefined],
    [500, undefined, false, undefined],
    [502, undefined, false, undefined],
    [503, 5_000, false, undefined],
  ];
  for (const [status, retryAfterMs, permanent, expectedRetryAfterMs] of table) {
    it(`when the receiver answers ${status}${retryAfterMs ? ` with Retry-After ${retryAfterMs} ms` : ""}, then the failure is ${permanent ? "permanent" : "retried"}`, () => {
      const error = statusFailure(`hook: HTTP ${status}`, status, retryAfterMs);
      expect({ message: error.message, permanent: error.permanent, retryAfterMs: error.retryAfterMs }).toEqual({
        message: `hook: HTTP ${status}`,
        permanent,
        retryAfterMs: expectedRetryAfterMs,
      });
    });
  }
});

describe("transportFailure", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
  it("when the caller cancelled, then it says so and is retried", () => {
    const error = transportFailure("hook", refused, { cancelled: true, timedOut: true, timeoutMs: 500 });
    expect([error.message, error.permanent]).toEqual(["hook: cancelled", false]);
  });

  it("when the deadline passed, then it names the deadline and is retried", () => {
    const error = transportFailure("hook", refused, { cancelled: false, timedOut: true, timeoutMs: 500 });
    expect([error.message, error.permanent]).toEqual(["hook: no answer within 500 ms", false]);
  });

  it("when fetch or grammY wrap the network error, then the errno code underneath is named and it is retried", () => {
    const state = { cancelled: false, timedOut: false, timeoutMs: 500 };
    const byFetch = transportFailure("hook", new TypeError("fetch failed", { cause: refused }), state);
    const byGrammy = transportFailure("tg", Object.assign(new Error("Network request for 'sendMessage' failed!"), { error: refused }), state);
    expect([byFetch.message, byGrammy.message, byFetch.permanent, byGrammy.permanent]).toEqual([
      "hook: network error: ECONNREFUSED",
      "tg: network error: ECONNREFUSED",
      false,
      false,
    ]);
  });
});
