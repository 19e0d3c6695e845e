/**
 * A chat channel (slack, discord, msteams) behind the real outbox and metrics, posting to a scripted
 * receiver on loopback: what the service does with a receiver's 429, 400 or 500, shared by those
 * channels' tests so each proves the same retry and give-up behaviour.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Outbox, type DeliveryResult } from "../../src/alerts/outbox.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { StateStore } from "../../src/store/state-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { alertMessage } from "./alert-fixtures.ts";
import { closeHttpReceivers, httpReceiver, type ReceiverAnswer } from "./http-receiver.ts";
import { sleep, until } from "./service-harness.ts";

/** The outbox's own back-off in these tests: far shorter than any Retry-After they send. */
const BACKOFF_MS = 50;

/** An outbox on an in-memory store delivering through `channel`, counting into real metrics. */
async function outboxFor(channel: Channel) {
  const store = await StateStore.open<WatchState>({ path: null });
  const metrics = new Metrics("test", { channels: [channel.name] });
  const results: DeliveryResult[] = [];
  const outbox = new Outbox({
    store,
    channels: [channel],
    logger: pino({ level: "silent" }),
    baseBackoffMs: BACKOFF_MS,
    maxBackoffMs: 4 * BACKOFF_MS,
    onResult: (name, kind, result) => {
      results.push(result);
      metrics.observeNotification(name, kind, result);
    },
  });
  outbox.start();
  /** secretary_notifications_total for this channel's firing notifications with `result`. */
  const counted = async (result: DeliveryResult) => {
    const text = await metrics.registry.getSingleMetricAsString("secretary_notifications_total");
    const line = text.split("\n").find((l) => l.startsWith(`secretary_notifications_total{channel="${channel.name}",kind="firing",result="${result}"}`));
    return Number(line?.split(" ").pop());
  };
  return { outbox, store, results, counted, stop: () => outbox.stop() };
}

/** A receiver that answers with `answers` in turn (the last one from then on) and notes when each request came. */
async function scriptedReceiver(answers: ReceiverAnswer[]) {
  const times: number[] = [];
  const receiver = await httpReceiver((index) => {
    times.push(performance.now());
    return answers[Math.min(index, answers.length - 1)]!;
  });
  return { ...receiver, times };
}

export interface OutboxContract {
  /** The channel under test, posting to `url`. */
  channel(url: string): Channel;
  /** How this test's receiver says "wait 2 s" (delay-seconds, a fraction, an HTTP date). */
  retryAfter: { header: () => string; atLeastMs: number; describe: string };
  /** The message: a firing alert unless said otherwise. */
  message?: AlertMessage;
}

/** The delivery behaviour every chat channel shares, run through the outbox as the service runs it. */
export function describeOutboxDelivery(type: string, contract: OutboxContract): void {
  describe(`${type} channel through the outbox`, () => {
    const stops: Array<() => void> = [];
    afterEach(async () => {
      stops.splice(0).forEach((stop) => stop());
      await closeHttpReceivers();
    });
    /** Queues the message for the channel posting to a receiver that answers `answers`; waits until the outbox reports `result`. */
    async function queueUntil(answers: ReceiverAnswer[], result: DeliveryResult, timeoutMs: number) {
      const hook = await scriptedReceiver(answers);
      const box = await outboxFor(contract.channel(hook.url));
      stops.push(box.stop);
      await box.outbox.enqueue(contract.message ?? alertMessage());
      await until(`a ${result} delivery`, () => (box.results.includes(result) ? true : undefined), timeoutMs);
      return { hook, box };
    }

    it(`when the webhook answers 429 with Retry-After ${contract.retryAfter.describe}, then the outbox waits that long, not its own back-off, and delivers`, async () => {
      const { hook, box } = await queueUntil([{ status: 429, headers: { "retry-after": contract.retryAfter.header() }, body: "rate limited" }, { status: 200 }], "sent", 10_000);
      expect(box.results).toEqual(["failed", "sent"]);
      expect(hook.times).toHaveLength(2);
      const waited = hook.times[1]! - hook.times[0]!;
      expect(waited).toBeGreaterThanOrEqual(contract.retryAfter.atLeastMs - 20);
      expect(waited).toBeLessThan(contract.retryAfter.atLeastMs + 2_500);
      expect(await box.counted("failed")).toBe(1);
      expect(await box.counted("sent")).toBe(1);
    });

    it("when the webhook answers 400, then the notification is dropped after one attempt and counted as dropped", async () => {
      const { hook, box } = await queueUntil([{ status: 400, body: "invalid_payload" }], "dropped", 5_000);
      await sleep(8 * BACKOFF_MS);
      expect(hook.requests).toHaveLength(1);
      expect(box.results).toEqual(["dropped"]);
      expect(box.store.outbox.list()).toEqual([]);
      expect(await box.counted("dropped")).toBe(1);
    });

    it("when the webhook answers 503, then the outbox retries after its back-off and delivers", async () => {
      const { hook, box } = await queueUntil([{ status: 503 }, { status: 200 }], "sent", 5_000);
      expect(box.results).toEqual(["failed", "sent"]);
      expect(hook.requests).toHaveLength(2);
    });
  });
}
