import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The suites that run a second time on PostgreSQL (test/support/test-store.ts): every suite that drives
 * the store through the service or its store-level behaviour without reaching into SQLite's file.
 * Suites about SQLite's own file (imports, read-only and full disks, crash-consistency of the file)
 * stay on SQLite; PostgreSQL's own outages and replicas have suites of their own.
 */
const ON_POSTGRES = [
  "test/alerts/escalation.test.ts",
  "test/alerts/outbox.test.ts",
  "test/alerts/channels/plug-in.test.ts",
  "test/e2e/access.test.ts",
  "test/e2e/alerts.test.ts",
  "test/e2e/api-registry.test.ts",
  "test/e2e/history.test.ts",
  "test/e2e/page-alerts-browser.test.ts",
  "test/e2e/page-auth-browser.test.ts",
  "test/e2e/page-browser.test.ts",
  "test/e2e/reload.test.ts",
  "test/e2e/round-trip-schedule.test.ts",
  "test/e2e/service.test.ts",
  "test/e2e/stalled-updates.test.ts",
  "test/grafana/prometheus.test.ts",
  "test/history/recording.test.ts",
  "test/http/admin-hardening.test.ts",
  "test/http/admin.test.ts",
  "test/http/errors.test.ts",
  "test/reports/report-service.test.ts",
  "test/security/secrets.test.ts",
  "test/store/commits.test.ts",
];

export default defineConfig({
  resolve: {
    // @mtcute/test's only build imports @mtcute/web's platform; on Node it is @mtcute/node's (mtcute-web.ts).
    alias: { "@mtcute/web": fileURLToPath(new URL("test/support/mtcute-web.ts", import.meta.url)) },
  },
  test: {
    // Through vite, so that the alias above and its JSON import of the TL schema are resolved.
    server: { deps: { inline: ["@mtcute/test"] } },
    // A real PostgreSQL on loopback for the PostgreSQL engine's tests (installed when missing).
    globalSetup: ["test/support/postgres-global.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback; a few files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "postgres", include: ON_POSTGRES, env: { SECRETARY_TEST_STORE: "postgres" } } },
    ],
  },
});
