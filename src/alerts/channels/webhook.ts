import { createHmac } from "node:crypto";
import { z } from "zod";
import { registerSecret } from "../../redact.ts";
import { httpUrl, secret } from "../../config/fields.ts";
import type { AlertMessage, Channel } from "../types.ts";
import { defineChannel, routedChannel, type ChannelConfigOf, type ChannelDeps, type ChannelSender } from "./define-channel.ts";
import { httpTarget, postJson } from "./http-delivery.ts";

export const SIGNATURE_HEADER = "X-Secretary-Signature";
export const TIMESTAMP_HEADER = "X-Secretary-Timestamp";

const options = z.strictObject({
  url: httpUrl("https://example.com/hook"),
  secret: secret("Shared secret for the receiving endpoint; empty for none"),
});

/**
 * POSTs `{version: 1, ...AlertMessage}` as JSON. With a secret, `X-Secretary-Signature: sha256=<hex>` is
 * the HMAC-SHA256 of the exact body bytes, and `X-Secretary-Timestamp` the Unix seconds of the attempt.
 */
export const webhookChannel = defineChannel({ type: "webhook", options, create: webhookSender });
export type WebhookChannelConfig = ChannelConfigOf<typeof webhookChannel>;

/** One webhook channel with its routing, outside the registry. */
export function createWebhookChannel(name: string, config: WebhookChannelConfig, deps: Pick<ChannelDeps, "timeoutMs">): Channel {
  return routedChannel(name, config, webhookSender(name, config, deps));
}

function webhookSender(name: string, config: z.output<typeof options>, deps: Pick<ChannelDeps, "timeoutMs">): ChannelSender {
  registerSecret(config.secret);
  const target = httpTarget(config.url);
  const label = `webhook channel "${name}"`;
  return {
    async send(message: AlertMessage, signal: AbortSignal): Promise<void> {
      const body = JSON.stringify({ version: 1, ...message });
      const headers: Record<string, string> = {};
      if (config.secret !== "") {
        // The timestamp is signed with the body (as Stripe and Slack do), so a receiver that rejects
        // old timestamps cannot be fed a captured request again.
        const timestamp = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = timestamp;
        headers[SIGNATURE_HEADER] = `sha256=${createHmac("sha256", config.secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
      }
      await postJson(label, target, body, headers, signal, deps.timeoutMs);
    },
  };
}
