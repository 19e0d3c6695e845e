/**
 * One copy of the texts many bots' results repeat ("webhook not set", the same remediation, the same
 * second's ISO time in a sweep): a stored BotStatus otherwise keeps a fresh string per check per bot,
 * which at 10,000 bots is most of a result's bytes. Replacing a string by an equal one changes nothing
 * a reader can see. Bounded: past MAX distinct texts the table starts over (a text that varies per bot,
 * such as a latency in a message, must not grow it for ever).
 */
const MAX = 4096;
let table = new Map<string, string>();

export function intern(text: string): string;
export function intern(text: string | undefined): string | undefined;
export function intern(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const known = table.get(text);
  if (known !== undefined) return known;
  if (table.size >= MAX) table = new Map();
  table.set(text, text);
  return text;
}
