/**
 * The package's command on the machine's own Node (20 here; the sources need 24): it hands over to the
 * Node 24 the install brings, or, without one, says in one line which Node it needs.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/secretary-watch.js");
const SYSTEM_NODE = "/usr/bin/node";
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const run = (bin: string, args: string[], cwd = ROOT) => spawnSync(SYSTEM_NODE, [bin, ...args], { cwd, encoding: "utf8", timeout: 30_000, env: { ...process.env, SECRETARY_WATCH_HANDED_OVER: "" } });

describe("bin/secretary-watch.js under the machine's Node", () => {
  it("when it is checked, then the machine's Node is older than 24 (else these tests would prove nothing)", () => {
    const version = spawnSync(SYSTEM_NODE, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
    expect(Number(version.split(".")[0])).toBeLessThan(24);
  });

  it("when --version runs, then it hands over to the bundled Node 24 and prints the version", () => {
    const r = run(BIN, ["--version"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.status).toBe(0);
  });

  it("when the bundled Node answers, then it is the one that runs the command, with the same exit code", () => {
    const r = run(BIN, ["check", "--bot"]);
    // A usage error from the CLI itself (exit 2), which only Node 24 could have loaded.
    expect(r.stderr).toContain("secretary-watch: Option '--bot <value>' argument missing");
    expect(r.status).toBe(2);
  });

  it("when no bundled Node can be found from where the command lives, then one clear line and exit 1", () => {
    // The same file outside the project: nothing under node_modules/ to hand over to.
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-bin-"));
    mkdirSync(join(dir, "bin"));
    copyFileSync(BIN, join(dir, "bin/secretary-watch.js"));
    const r = run(join(dir, "bin/secretary-watch.js"), ["--version"], dir);
    const found = spawnSync(SYSTEM_NODE, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
    expect(r.stderr).toBe(
      `secretary-watch needs Node.js 24 or later (found ${found}): install it from nodejs.org or run \`npm ci\` in the project to get the bundled one\n`,
    );
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });
});
