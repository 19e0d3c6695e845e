import { describe, expect, it } from "vitest";
import { BADGE_COLORS, badgeText, healthBadge, notFoundBadge, renderBadge, textWidth } from "../../src/http/badge.ts";
import { HEALTHS } from "../../src/model.ts";

/** Well-formed XML, checked by hand: every tag closed in order, no raw `<`/`&` in text or attributes. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&#\d+;[^"<&]*)*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = token.exec(xml))) {
    at = token.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      expect(text.replace(/&#\d+;/g, ""), `text ${JSON.stringify(text)}`).not.toMatch(/[&<>]/);
    } else if (close) {
      expect(stack.pop(), `</${name}>`).toBe(name);
    } else if (!selfClose) stack.push(name!);
  }
  expect(at, `unparsable at ${JSON.stringify(xml.slice(at, at + 40))}`).toBe(xml.length);
  expect(stack).toEqual([]);
}

describe("the README badge", () => {
  it.each(HEALTHS.map((h) => [h]))("when the bot is %s, then the badge reads secretary | that health in its color", (health) => {
    const svg = healthBadge(health);
    assertWellFormed(svg);
    expect(svg).toContain(`aria-label="secretary: ${health}"`);
    expect(svg).toContain(`>secretary</text>`);
    expect(svg).toContain(`>${health}</text>`);
    expect(svg).toContain(`<rect x="`);
    expect(svg).toMatch(new RegExp(`<rect x="\\d+" width="\\d+" height="20" fill="${BADGE_COLORS[health]}"/>`));
  });

  it("when healths are compared, then each has its own shields color: green, yellow, red, grey", () => {
    expect(BADGE_COLORS).toEqual({ healthy: "#44cc11", degraded: "#dfb317", down: "#e05d44", unknown: "#9f9f9f" });
  });

  it("when the message is longer, then the badge and its message half are wider, and the text is fitted to them", () => {
    const width = (svg: string) => Number(/^<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    expect(width(healthBadge("degraded"))).toBeGreaterThan(width(healthBadge("down")));
    expect(textWidth("degraded")).toBeGreaterThan(textWidth("down"));
    const svg = healthBadge("healthy");
    const [labelWidth, total] = [Number(/<rect width="(\d+)" height="20" fill="#555555"/.exec(svg)![1]), width(svg)];
    expect(labelWidth).toBe(Math.round(textWidth("secretary")) + 10);
    expect(total).toBe(labelWidth + Math.round(textWidth("healthy")) + 10);
    expect(svg).toContain(`textLength="${Math.round(textWidth("healthy")) * 10}"`);
  });

  it("when the label or message carries markup, quotes or control characters, then they are escaped or dropped", () => {
    const svg = renderBadge({ label: `<script>alert("x")</script>`, message: "a & b\u0000\u0007\n'c'", color: "#e05d44" });
    assertWellFormed(svg);
    expect(svg).not.toContain("<script");
    expect(svg).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    expect(svg).toContain(">a &#38; b &#39;c&#39;</text>");
    expect([...svg].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });

  it("when the text is very long, then it is cut to 64 characters (a badge, not a paragraph)", () => {
    expect(badgeText("x".repeat(500))).toHaveLength(64);
    expect(badgeText("  two\t\twords  ")).toBe("two words");
  });

  it("when the color is not #rrggbb, then rendering refuses (it goes into an attribute unescaped)", () => {
    expect(() => renderBadge({ label: "a", message: "b", color: `red" onload="x` })).toThrow(/#rrggbb/);
  });

  it("when XML is broken, then the well-formedness check used above fails", () => {
    for (const broken of ["<a><b></a>", "<a>x < y</a>", '<a t="<"></a>', "<a>&amp;</a>", "<a>"]) expect(() => assertWellFormed(broken), broken).toThrow();
    expect(() => assertWellFormed('<a t="&#60;"><b/>&#38;</a>')).not.toThrow();
  });

  it("when the bot does not exist, then the badge says so in grey", () => {
    const svg = notFoundBadge();
    assertWellFormed(svg);
    expect(svg).toContain("<title>secretary: no such bot</title>");
    expect(svg).toContain('fill="#9f9f9f"');
  });

  it("when the background is light or dark, then the message text is dark or white for contrast", () => {
    expect(renderBadge({ label: "a", message: "b", color: "#ffffff" })).toContain('fill="#333" textLength');
    expect(renderBadge({ label: "a", message: "b", color: "#e05d44" })).toMatch(/fill="#fff" textLength="\d+">b</);
  });
});
