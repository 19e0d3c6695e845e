/** The statuses a refusal can carry: the caller's mistake (4xx) or a part that cannot do it now (502, 503). */
export type RefusalStatus = 400 | 401 | 404 | 409 | 429 | 502 | 503;

/**
 * The one error for a request refused on purpose: a bad field, a name taken, nothing by that name, a
 * state file that cannot be written. The fleet, the admin API and the HTTP server throw it; the HTTP
 * layer answers it with its status and `field` (http/errors.ts). The message is for the caller, so it
 * never holds a secret or a file path; `cause` (what went wrong inside) goes to the log only.
 */
export class RefusalError extends Error {
  override readonly name = "RefusalError";
  readonly status: RefusalStatus;
  /** The request field the refusal is about (`name`, `token`, `(body)`), when there is one. */
  readonly field: string | undefined;

  constructor(status: RefusalStatus, message: string, field?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.field = field;
  }
}
