/**
 * An HTTP channel's deliveries through the real outbox (on an in-memory store, back-off 50–100 ms) with
 * the service's notification counter, against a local receiver: how a receiver's 429 and 400 play out.
 */
import pino from "pino";
import { Outbox } from "../../src/alerts/outbox.ts";
import type { AlertMessage, Channel } from "../../src/alerts/types.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { StateStore } from "../../src/store/state-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { httpReceiver, type ReceivedRequest, type ReceiverAnswer } from "./http-receiver.ts";
import { sleep, until } from "./service-harness.ts";

async function withOutbox<T>(channel: Channel, run: (outbox: Outbox, metrics: Metrics) => Promise<T>): Promise<T> {
  const metrics = new Metrics("test", { channels: [channel.name] });
  const store = await StateStore.open<WatchState>({ path: null });
  const outbox = new Outbox({ store, channels: [channel], logger: pino({ level: "silent" }), baseBackoffMs: 50, maxBackoffMs: 100, onResult: metrics.observeNotification });
  outbox.start();
  try {
    return await run(outbox, metrics);
  } finally {
    outbox.stop();
  }
}

/**
 * The receiver answers `throttled` (a 429) to the first request and `accepted` from then on. Resolves once
 * the outbox has delivered, with the requests and how long the outbox waited after the 429.
 */
export async function throttledDelivery(
  channelAt: (url: string) => Channel,
  throttled: ReceiverAnswer,
  accepted: ReceiverAnswer,
  message: AlertMessage,
): Promise<{ requests: ReceivedRequest[]; waitedMs: number }> {
  const answer = { ...throttled };
  const receiver = await httpReceiver(answer);
  return withOutbox(channelAt(receiver.url), async (outbox) => {
    await outbox.enqueue(message);
    await until("the throttled attempt", () => (receiver.requests.length === 1 ? true : undefined), 3_000);
    const throttledAt = Date.now();
    // The receiver reads its answer per request: from now on it accepts.
    Object.assign(answer, { headers: undefined, body: undefined }, accepted);
    await until("the delivery", () => (outbox.size === 0 ? true : undefined), 5_000);
    return { requests: receiver.requests, waitedMs: Date.now() - throttledAt };
  });
}

/** The receiver answers `refusal` to everything. Resolves once the outbox gave the message up, with the requests and the counter's exposition. */
export async function refusedDelivery(channelAt: (url: string) => Channel, refusal: ReceiverAnswer, message: AlertMessage): Promise<{ requests: ReceivedRequest[]; counted: string }> {
  const receiver = await httpReceiver(refusal);
  return withOutbox(channelAt(receiver.url), async (outbox, metrics) => {
    await outbox.enqueue(message);
    await until("the drop", () => (outbox.size === 0 ? true : undefined), 3_000);
    await sleep(200); // several back-offs: a retry would have come by now
    return { requests: receiver.requests, counted: await metrics.registry.getSingleMetricAsString("secretary_notifications_total") };
  });
}
