/**
 * The committed dashboard JSON is the generator's output (grafana/dashboard/, Grafana's Foundation SDK):
 * edits go to the TypeScript, and `npm run dashboard` writes the file.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildDashboard, renderDashboard, ROWS } from "../../grafana/dashboard/index.ts";
import { allPanels, DASHBOARD_FILE, type Dashboard } from "./dashboard.ts";

describe("the dashboard generator", () => {
  it("when the dashboard is regenerated in memory, then it is byte for byte the committed JSON", () => {
    const committed = readFileSync(DASHBOARD_FILE, "utf8");
    const generated = renderDashboard();
    if (generated !== committed) {
      const line = generated.split("\n").findIndex((text, i) => text !== committed.split("\n")[i]);
      expect.fail(`grafana/dashboards/secretary-watch.json differs from the generator from line ${line + 1}: run npm run dashboard`);
    }
    expect(generated.endsWith("}\n")).toBe(true);
  });

  it("when it is generated twice, then the bytes are the same, keys sorted at every level with a 2-space indent", () => {
    const text = renderDashboard();
    expect(renderDashboard()).toBe(text);
    const keysSorted = (value: unknown): boolean =>
      Array.isArray(value)
        ? value.every(keysSorted)
        : value === null || typeof value !== "object" || (Object.keys(value).join() === Object.keys(value).sort().join() && Object.values(value).every(keysSorted));
    expect(keysSorted(JSON.parse(text))).toBe(true);
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });

  it("when the rows are read, then each row file's header and panels are in the dashboard in order, the row above its panels", () => {
    const panels = allPanels(buildDashboard() as unknown as Dashboard);
    const titles = panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(titles).toEqual(ROWS.map(({ row }) => row.build().title));
    expect(titles).toEqual(["Fleet", "Uptime", "Checks", "Business connection and rights", "Webhook", "Round trip", "Telegram API", "Notifications", "Monitor"]);
    for (const { row, panels: rowPanels } of ROWS) {
      const header = row.build();
      for (const panel of rowPanels.map((p) => p.build())) expect(panel.gridPos!.y, `${header.title}: ${panel.title}`).toBeGreaterThan(header.gridPos!.y);
    }
  });
});
