import { fail, type Verdict } from "../src/runner/define-check.ts";
import { businessError } from "../src/telegram/business-errors.ts";
import { REMEDIATION } from "./remediation.ts";

/**
 * The verdict for Telegram's refusals that are about the business connection or Business Mode itself,
 * whichever method met them (the connection read, the Stars probe, the scope probe); undefined for any
 * other error. They stop the Secretary connection as a whole, so they are down wherever they are met.
 * `during` names the call for checks that meet them second hand ("the Stars balance probe").
 */
export function connectionRefusal(err: unknown, connectionId: string, during?: string): Verdict | undefined {
  const said = (message: string) => (during ? `${during}: ${message}` : message);
  switch (businessError(err)) {
    case "notFound":
      return fail(said(`Telegram does not know business connection ${connectionId}: the bot is not connected`), REMEDIATION.notConnected, "down");
    case "connectionInvalid":
      return fail(
        said(`Telegram no longer accepts business connection ${connectionId} (BUSINESS_CONNECTION_INVALID): the profile disconnected the bot or connected it anew`),
        REMEDIATION.connectionInvalid,
        "down",
      );
    case "connectionNotAllowed":
      return fail(
        said("Telegram does not let the bot act through business connections (BUSINESS_CONNECTION_NOT_ALLOWED): Business Mode is off in BotFather"),
        REMEDIATION.connectionNotAllowed,
        "down",
      );
    case "businessMissing":
      return fail(said("Telegram says the bot is not a business bot (BOT_BUSINESS_MISSING): Business Mode is off in BotFather"), REMEDIATION.businessMissing, "down");
    default:
      return undefined;
  }
}
