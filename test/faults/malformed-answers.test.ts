/**
 * Issue 12, items 2 and 8, end to end: a fleet behind something that answers instead of the Bot API (a
 * proxy's HTML page with a 4xx status, JSON of another shape, `{"ok": false}` with no description) or
 * whose answers have the wrong types gets `unknown` for the checks that needed those answers, no bot
 * alert, and the single "cannot reach Telegram" alert, where each of these used to give a verdict (one
 * alert per bot, or a bot called healthy on `is_enabled: "false"`). The faults go through the sandbox on
 * the wire; the runner is the one of telegram-faults.test.ts.
 */
import { afterAll, afterEach, describe, it } from "vitest";
import { MONITORED_METHODS } from "../support/healthy-fleet.ts";
import { closeHttpReceivers } from "../support/http-receiver.ts";
import { printFigures, runFaultRow, type FaultRow, type Figure } from "../support/telegram-fault-row.ts";

const methods = MONITORED_METHODS;
const json = (body: unknown, status = 200) => ({ status, contentType: "application/json", body: JSON.stringify(body) });

const ROWS: FaultRow[] = [
  ...[400, 401, 403, 404, 407].map((status) => ({
    kind: `${status} HTML page from a proxy`,
    fault: { methods, answer: { status } },
    message: new RegExp(`^getMe: HTTP ${status} with a text/html body, not a Bot API answer$`),
  })),
  {
    kind: '{"ok": false, "description": "Unauthorized"} on HTTP 200',
    fault: { methods, answer: json({ ok: false, description: "Unauthorized" }) },
    message: /^getMe: HTTP 200 with "ok": false and error_code missing, expected a number, not a Bot API answer$/,
  },
  {
    kind: '{"ok": false} with no description (item 8)',
    fault: { methods, answer: json({ ok: false }, 400) },
    message: /^getMe: HTTP 400 with "ok": false and error_code missing, expected a number, not a Bot API answer$/,
  },
  {
    kind: "getMe result {}",
    fault: { methods: ["getMe"], answer: json({ ok: true, result: {} }) },
    message: /^getMe: result\.id is missing, expected a number$/,
  },
  {
    kind: 'can_connect_to_business: "true"',
    fault: { methods: ["getMe"], patchResult: { can_connect_to_business: "true" } },
    message: /^getMe: result\.can_connect_to_business is a string, expected a boolean$/,
  },
  {
    kind: 'is_enabled: "false"',
    fault: { methods: ["getBusinessConnection"], patchResult: { is_enabled: "false" } },
    message: /^getBusinessConnection: result\.is_enabled is a string, expected a boolean$/,
  },
  {
    kind: "rights: []",
    fault: { methods: ["getBusinessConnection"], patchResult: { rights: [] } },
    message: /^getBusinessConnection: result\.rights is an array, expected an object$/,
  },
];

const figures: Figure[] = [];

describe("answers that are not the Bot API's, end to end", () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await closeHttpReceivers();
  });
  afterAll(() => printFigures(figures));

  it.each(ROWS)(
    "when the answer is $kind, then every bot goes unknown naming what was wrong, no bot alert fires, one monitor alert does, and all recovers",
    (row) => runFaultRow(row, cleanup, figures),
    40_000,
  );
});
