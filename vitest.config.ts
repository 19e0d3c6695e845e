import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A real PostgreSQL on loopback for the PostgreSQL engine's tests (installed when missing).
    globalSetup: ["test/support/postgres-global.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback; a few files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
