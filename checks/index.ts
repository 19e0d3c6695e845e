import type { CheckRegistry, OptionsOf } from "../src/runner/define-check.ts";
import { businessMode } from "./business-mode.ts";
import { connection } from "./connection.ts";
import { identity } from "./identity.ts";
import { rights } from "./rights.ts";
import { scope } from "./scope.ts";
import { token } from "./token.ts";
import { webhook } from "./webhook.ts";
import { webhookEndpoint } from "./webhook-endpoint.ts";
import { roundTrip } from "./round-trip.ts";

/**
 * The registry: the only list of checks, in dependency order. The runner, config validation (allowed
 * ids and their options, typed from here), metrics and docs all derive from it. To add a check, write
 * a module and list it here.
 */
export const CHECKS = [token, identity, businessMode, connection, rights, scope, webhook, webhookEndpoint, roundTrip] as const satisfies CheckRegistry;

/** Every registered check's options by id: the type of `config.checks` and `MonitoredBot.checks`. */
export type CheckOptions = OptionsOf<typeof CHECKS>;

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);
