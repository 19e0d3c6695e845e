import type { Logger } from "pino";
import { RefusalError } from "../errors.ts";

/**
 * What the HTTP layer does when the history store cannot answer (README, "HTTP endpoints"): a read that
 * rejects (the database unreachable, an I/O error) is the store's failure, not a bug of the request. The
 * history endpoints answer 503 saying so; `/status` and the pages answer without the history.
 */

/** For the caller: which part failed and that it may pass. The cause (a path, a host) goes to the log only. */
export const HISTORY_UNAVAILABLE = "the history store cannot be read right now (its database failed or is unreachable); try again later";

/** The history endpoints' refusal: 503 with HISTORY_UNAVAILABLE, the store's error as its cause. */
export class HistoryUnavailableError extends RefusalError {
  constructor(cause: unknown) {
    super(503, HISTORY_UNAVAILABLE, undefined, cause);
  }
}

/**
 * The history endpoints' reads: what `read` answers, or a HistoryUnavailableError when it rejects (or
 * throws), which the error handler answers with 503 and logs once with its cause.
 */
export async function historyOrRefuse<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new HistoryUnavailableError(err);
  }
}

/**
 * The reads of views that must answer anyway (`/status`, the pages): what `read` answers, or undefined
 * when it rejects (or throws), logged once per failed request with what the view does without it.
 */
export async function historyOrNothing<T>(logger: Logger | undefined, without: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    logger?.error({ err }, `history read failed; ${without}`);
    return undefined;
  }
}
