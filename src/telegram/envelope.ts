/**
 * What counts as an answer from the Bot API, decided from the HTTP answer alone.
 *
 * Telegram answers `{ok: true, result}` with HTTP 200, or `{ok: false, error_code, description}` whose
 * error_code is the HTTP status. Anything else came from something in between (a proxy's HTML page, a
 * gateway's own JSON, a truncated body) and says nothing about the bot: it is refused here, before
 * grammY or a check can read it as a verdict, with a message naming what was wrong.
 */

/** An HTTP answer that does not have the Bot API envelope's shape. `message` says what was wrong. */
export class NotBotApiAnswer extends Error {
  override readonly name = "NotBotApiAnswer";
  readonly status: number;

  constructor(status: number, what: string) {
    super(`HTTP ${status} with ${what}, not a Bot API answer`);
    this.status = status;
  }
}

export type BotApiEnvelope =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: unknown };

/** The envelope in `text`, or a NotBotApiAnswer thrown naming why it is not one. */
export function readEnvelope(status: number, contentType: string, text: string): BotApiEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    if (text.trim() === "") throw new NotBotApiAnswer(status, "an empty body");
    const type = mediaType(contentType);
    // A body that claims to be JSON says so; a proxy's page is named by its type alone.
    if (!type.endsWith("json")) throw new NotBotApiAnswer(status, `a ${type} body`);
    const truncated = err instanceof SyntaxError && endsMidValue(err.message, text.length);
    throw new NotBotApiAnswer(status, `${article(type)} ${type} body that is not JSON${truncated ? " (it ends mid-value: truncated)" : ""}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new NotBotApiAnswer(status, `a JSON ${jsonKind(body)} instead of an object`);
  const envelope = body as Record<string, unknown>;
  if (envelope.ok === true) {
    if (status !== 200) throw new NotBotApiAnswer(status, '"ok": true (Telegram answers ok only with HTTP 200)');
    if (!("result" in envelope)) throw new NotBotApiAnswer(status, '"ok": true but no result');
    return envelope as BotApiEnvelope;
  }
  if (envelope.ok !== false) throw new NotBotApiAnswer(status, `JSON whose "ok" is ${describe(envelope.ok)}, expected true or false`);
  const code = envelope.error_code;
  if (typeof code !== "number") throw new NotBotApiAnswer(status, `"ok": false and error_code ${describe(code)}, expected a number`);
  if (code !== status) throw new NotBotApiAnswer(status, `"ok": false and error_code ${code} (Telegram's error_code is the HTTP status)`);
  if (typeof envelope.description !== "string")
    throw new NotBotApiAnswer(status, `"ok": false and description ${describe(envelope.description)}, expected a string`);
  return envelope as BotApiEnvelope;
}

function mediaType(contentType: string): string {
  // A header is the sender's text: kept short, as a media type is.
  return contentType.split(";", 1)[0]!.trim().toLowerCase().slice(0, 60) || "non-JSON";
}

/** V8's JSON.parse error for a body that was a valid start of JSON when it ended (a cut-off answer). */
function endsMidValue(message: string, length: number): boolean {
  if (/end of JSON input|Unterminated string/i.test(message)) return true;
  const at = /at position (\d+)/.exec(message);
  return at !== null && Number(at[1]) >= length;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  return `a ${jsonKind(value)}`;
}
