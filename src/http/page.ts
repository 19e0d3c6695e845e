import type { FleetView } from "./status-view.ts";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const COLORS: Record<string, string> = {
  healthy: "#1a7f37", degraded: "#9a6700", down: "#cf222e", unknown: "#6e7781",
  ok: "#1a7f37", warn: "#9a6700", fail: "#cf222e", skipped: "#6e7781",
};

/** The status page: fleet summary, bots worst first, each failing check with its remediation. */
export function renderStatusPage(view: FleetView, refreshSeconds: number): string {
  const counts = new Map<string, number>();
  for (const b of view.bots) counts.set(b.health, (counts.get(b.health) ?? 0) + 1);
  const summary = ["down", "degraded", "unknown", "healthy"]
    .map((h) => `<span class="pill" style="background:${COLORS[h]}">${counts.get(h) ?? 0} ${h}</span>`)
    .join(" ");
  const rows = view.bots
    .map((bot) => {
      const problems = bot.checks.filter((c) => c.status === "fail" || c.status === "warn" || c.status === "unknown");
      const details = problems
        .map(
          (c) => `<li><b style="color:${COLORS[c.status]}">${escapeHtml(c.check)}: ${escapeHtml(c.status)}</b> — ${escapeHtml(c.message ?? "")}
            <div class="fix">${escapeHtml(c.remediation ?? "")}</div><div class="since">since ${escapeHtml(c.since)}</div></li>`,
        )
        .join("");
      return `<section class="bot"><h2><span class="dot" style="background:${COLORS[bot.health]}"></span>${escapeHtml(bot.name)}
        <small>@${escapeHtml(bot.username)} · ${escapeHtml(bot.health)}${bot.since ? ` since ${escapeHtml(bot.since)}` : " (not checked yet)"}</small></h2>
        ${details ? `<ul>${details}</ul>` : ""}</section>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds}">
<title>secretary-watch: ${escapeHtml(view.status)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1f2328}
.pill{color:#fff;border-radius:1rem;padding:.15rem .6rem;font-weight:600}
.bot{border-top:1px solid #d0d7de;padding:.4rem 0}.bot h2{font-size:1.05rem;margin:.3rem 0}
.bot small{font-weight:400;color:#57606a;margin-left:.4rem}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.5rem}
.fix{color:#57606a;margin:.15rem 0}.since{color:#8c959f;font-size:.85em}ul{margin:.2rem 0 .4rem;padding-left:1.3rem}
</style></head><body>
<h1>Secretary fleet: ${escapeHtml(view.status)}</h1>
<p>${summary}</p><p>Last sweep: ${escapeHtml(view.checkedAt ?? "none yet")}</p>
${rows}
</body></html>`;
}
