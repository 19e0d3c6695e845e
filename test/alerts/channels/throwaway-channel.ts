/**
 * A throwaway channel type, as a plug-in author would write one: one module with `defineChannel`. It
 * "delivers" into an in-memory inbox, so a test sees exactly what reached it. Nothing in `src/` knows it.
 */
import { z } from "zod";
import { defineChannel } from "../../../src/alerts/channels/define-channel.ts";
import type { AlertMessage } from "../../../src/alerts/types.ts";

export interface Delivered {
  channel: string;
  /** The `prefix` option, then the summary: shows the options reached the sender validated and defaulted. */
  line: string;
  message: AlertMessage;
}

/** Every delivery of every throwaway channel, keyed by its `inbox` option. */
export const inboxes = new Map<string, Delivered[]>();

export const throwawayChannel = defineChannel({
  type: "throwaway",
  options: z.strictObject({
    inbox: z.string().regex(/^[a-z]+$/, { error: "expected an inbox name of lowercase letters" }),
    prefix: z.string().default("[throwaway]"),
  }),
  create(name, options) {
    return {
      async send(message: AlertMessage) {
        const inbox = inboxes.get(options.inbox) ?? [];
        inbox.push({ channel: name, line: `${options.prefix} ${message.summary}`, message });
        inboxes.set(options.inbox, inbox);
      },
    };
  },
});
