/** `npm run dashboard`: writes the dashboard this directory builds to the file Grafana provisions. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderDashboard } from "./index.ts";

export const DASHBOARD_FILE = fileURLToPath(new URL("../dashboards/secretary-watch.json", import.meta.url));

writeFileSync(DASHBOARD_FILE, renderDashboard());
console.log(`wrote ${DASHBOARD_FILE}`);
