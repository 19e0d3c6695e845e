/**
 * The Prometheus text exposition format, as prom-client writes it: label values and help text escaped,
 * values written, and the per-bot lines of a derived family rendered from tails built once (BotLines).
 * Parsing labels back (parseLabels) serves prom-client's JSON view of a derived family.
 */

/**
 * Renders one bot's lines of a per-bot family in one native call. Every line is
 * `<family>{bot="<bot>` + a tail (`",check="token",state="ok"} 1\n`), so the bot's lines are the
 * tails joined with that prefix: `["", t1, t2].join(p)` is `p t1 p t2`. Tails mostly come from tables
 * built once, so a scrape builds one string per bot and family instead of a few per sample.
 */
export class BotLines {
  private readonly head: string;
  private readonly parts: string[] = [""];

  constructor(family: string) {
    this.head = `${family}{bot="`;
  }

  /** Adds a line: its text after the bot name, e.g. `",health="down"} 1\n`. */
  add(tail: string): void {
    this.parts.push(tail);
  }

  /** Adds several lines' tails. */
  addAll(tails: readonly string[]): void {
    for (const tail of tails) this.parts.push(tail);
  }

  /** The lines added since the last call, for `bot` (escaped); "" when none. */
  render(bot: string): string {
    if (this.parts.length === 1) return "";
    const text = this.parts.join(this.head + bot);
    this.parts.length = 1;
    return text;
  }
}

/** A line's tail: the labels after `bot` (escaped, each `,name="value"`), and the value. */
export const tail = (labels: string, value: number): string => `"${labels}} ${valueText(value)}\n`;

/**
 * A tail kept in a table and copied on every scrape: made one sequential string rather than the rope of
 * concatenations a template gives, which every join would walk again.
 */
export const keptTail = (labels: string, value: number): string => Buffer.from(tail(labels, value), "utf8").toString("utf8");

/** A label value escaped for the text format (backslash, double quote, newline). */
export function labelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

/** Help text escaped for the text format (backslash, newline). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** As prom-client writes values. */
export function valueText(value: number): string {
  if (value === 0) return "0";
  if (value === 1) return "1";
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** `{a="x",b="y\\n"}` back to `{ a: "x", b: "y\n" }`. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(LABEL)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return labels;
}
