import type { CheckDefinition } from "../src/runner/define-check.ts";
import { businessMode } from "./business-mode.ts";
import { connection } from "./connection.ts";
import { identity } from "./identity.ts";
import { rights } from "./rights.ts";
import { scope } from "./scope.ts";
import { token } from "./token.ts";
import { webhook } from "./webhook.ts";
import { roundTrip } from "./round-trip.ts";

/**
 * The registry: the only list of checks. The runner, config validation (allowed ids and their
 * options), metrics and docs all derive from it. To add a check, write a module and list it here.
 */
export const CHECKS: readonly CheckDefinition[] = [token, identity, businessMode, connection, rights, scope, webhook, roundTrip];

export const CHECK_IDS = CHECKS.map((c) => c.id);
