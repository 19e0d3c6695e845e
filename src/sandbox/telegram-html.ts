/**
 * Telegram's parse_mode HTML, as the recipient sees it: the sandbox's sendMessage renders a message with
 * it and refuses what Telegram refuses, and tests check that a channel's HTML would be accepted.
 */

const HTML_TAGS = new Set([
  "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
]);
const isSpace = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" || c === "\f";

/**
 * Telegram's HTML rules (tdlib parse_html): only the supported tags, properly nested and closed; a bare
 * `<` starts a tag, `&lt; &gt; &amp; &quot;` and numeric entities decode, an unknown `&…` stays literal.
 * Errors carry byte offsets, as Telegram's do.
 */
export function parseHtml(html: string): { text: string } | { error: string } {
  const at = (i: number) => Buffer.byteLength(html.slice(0, i), "utf8");
  const out: string[] = [];
  const open: { tag: string; arg: string }[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === "&") {
      const entity = decodeEntity(html, i);
      if (entity) {
        out.push(entity.char);
        i = entity.next;
        continue;
      }
    }
    if (c !== "<") {
      out.push(c);
      i++;
      continue;
    }
    const begin = i++;
    if (html[i] !== "/") {
      while (!isSpace(html[i]) && html[i] !== ">") i++;
      if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
      const tag = html.slice(begin + 1, i).toLowerCase();
      if (!HTML_TAGS.has(tag)) return { error: `Unsupported start tag "${tag}" at byte offset ${at(begin)}` };
      let arg = "";
      while (html[i] !== ">") {
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
        if (html[i] === ">") break;
        const nameBegin = i;
        while (!isSpace(html[i]) && html[i] !== "=" && html[i] !== ">") i++;
        const name = html.slice(nameBegin, i).toLowerCase();
        if (name === "") return { error: `Empty attribute name in the tag "${tag}" at byte offset ${at(begin)}` };
        while (i < html.length && isSpace(html[i])) i++;
        if (html[i] !== "=") continue; // a valueless attribute, e.g. <blockquote expandable>
        i++;
        while (i < html.length && isSpace(html[i])) i++;
        if (i >= html.length) return { error: `Unclosed start tag "${tag}" at byte offset ${at(begin)}` };
        let value: string;
        const q = html[i];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, i + 1);
          value = decodeAll(html.slice(i + 1, end === -1 ? html.length : end));
          i = end === -1 ? html.length : end + 1;
        } else {
          const tokenBegin = i;
          while (i < html.length && /[A-Za-z0-9.-]/.test(html[i]!)) i++;
          value = html.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(html[i]) && html[i] !== ">") return { error: `Unexpected end of name token at byte offset ${at(tokenBegin)}` };
        }
        if (i >= html.length) return { error: `Unclosed start tag at byte offset ${at(begin)}` };
        if ((tag === "a" && name === "href") || (tag === "tg-emoji" && name === "emoji-id")) arg = value;
        if (tag === "span" && name === "class") arg = value;
      }
      if (tag === "span" && arg !== "tg-spoiler") return { error: `Tag "span" must have class "tg-spoiler" at byte offset ${at(begin)}` };
      open.push({ tag, arg });
      i++;
    } else {
      if (open.length === 0) return { error: `Unexpected end tag at byte offset ${at(begin)}` };
      while (!isSpace(html[i]) && html[i] !== ">") i++;
      const endTag = html.slice(begin + 2, i).toLowerCase();
      while (i < html.length && isSpace(html[i])) i++;
      if (html[i] !== ">") return { error: `Unclosed end tag at byte offset ${at(begin)}` };
      const top = open[open.length - 1]!;
      if (endTag !== "" && endTag !== top.tag) {
        return { error: `Unmatched end tag at byte offset ${at(begin)}, expected "</${top.tag}>", found "</${endTag}>"` };
      }
      if (top.tag === "tg-emoji" && !/^[1-9]\d*$/.test(top.arg)) return { error: "Invalid custom emoji identifier specified" };
      open.pop();
      i++;
    }
  }
  if (open.length > 0) return { error: `Can't find end tag corresponding to start tag ${open[open.length - 1]!.tag}` };
  return { text: out.join("") };
}

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function decodeEntity(s: string, pos: number): { char: string; next: number } | null {
  const m = /^&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]+));?/.exec(s.slice(pos, pos + 12));
  if (!m) return null;
  let char: string | undefined;
  if (m[1] !== undefined || m[2] !== undefined) {
    const code = m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16);
    if (code === 0 || code >= 0x10ffff) return null;
    char = String.fromCodePoint(code);
  } else {
    char = NAMED_ENTITIES[m[3]!];
  }
  return char === undefined ? null : { char, next: pos + m[0].length };
}

function decodeAll(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const e = s[i] === "&" ? decodeEntity(s, i) : null;
    out += e ? e.char : s[i];
    i = e ? e.next : i + 1;
  }
  return out;
}
