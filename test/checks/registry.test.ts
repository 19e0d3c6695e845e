import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHECKS, CHECK_IDS } from "../../checks/index.ts";
import { configJsonSchema } from "../../src/config/json-schema.ts";

describe("the check registry", () => {
  it("when checks are registered, then ids are unique and match SPEC §1 in order", () => {
    expect(CHECK_IDS).toEqual(["token", "identity", "business-mode", "connection", "rights", "scope", "webhook", "webhook-endpoint", "round-trip"]);
    expect(new Set(CHECK_IDS).size).toBe(CHECK_IDS.length);
  });

  it("when a check depends on another, then that one is registered before it (no cycles possible)", () => {
    CHECKS.forEach((check, i) => {
      for (const dep of check.dependsOn) {
        expect(CHECK_IDS.indexOf(dep), `${check.id} → ${dep}`).toBeGreaterThanOrEqual(0);
        expect(CHECK_IDS.indexOf(dep), `${check.id} → ${dep}`).toBeLessThan(i);
      }
    });
  });

  it("when the config schema is generated, then every registered check is a key under checks", () => {
    const schema = configJsonSchema() as { properties: { checks: { properties: Record<string, unknown> } } };
    for (const id of CHECK_IDS) expect(Object.keys(schema.properties.checks.properties)).toContain(id);
  });

  it("when a check is registered, then test/checks/<id>.test.ts runs its scenario table against the sandbox", () => {
    for (const id of CHECK_IDS) {
      const file = new URL(`./${id}.test.ts`, import.meta.url);
      expect(existsSync(file), `test/checks/${id}.test.ts`).toBe(true);
      const text = readFileSync(file, "utf8");
      // The shared runner (test/support/check-scenario.ts) sweeps a sandbox world and asserts this check's rows.
      expect(text, `test/checks/${id}.test.ts`).toContain('from "../support/check-scenario.ts"');
      expect(text, `test/checks/${id}.test.ts`).toContain(`expectRow("${id}", row)`);
    }
  });
});
