import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHECK_IDS } from "../checks/index.ts";
import { importCycles, importGraph, importSpecifiers, loopThrough, tsFiles } from "./support/import-graph.ts";

/** Issue 13's shape: files with one job (at most this many lines) and modules that import no cycle. */
const MAX_LINES = 300;
const ROOT = path.resolve(import.meta.dirname, "..");
const SOURCES = [path.join(ROOT, "src"), path.join(ROOT, "checks")];
const shown = (file: string) => path.relative(ROOT, file);

describe("the source tree (src/ and checks/)", () => {
  it(`when every .ts file is measured, then none is over ${MAX_LINES} lines`, () => {
    const lengths = tsFiles(SOURCES).map((file) => ({ file: shown(file), lines: readFileSync(file, "utf8").split("\n").length - 1 }));
    const long = lengths.filter((f) => f.lines > MAX_LINES).sort((a, b) => b.lines - a.lines);
    console.log(`structure: ${lengths.length} files, longest ${Math.max(...lengths.map((f) => f.lines))} lines; over ${MAX_LINES}: ${long.map((f) => `${f.file} (${f.lines})`).join(", ") || "none"}`);
    expect(long, `files over ${MAX_LINES} lines`).toEqual([]);
  });

  it("when the imports are followed (type imports and re-exports included), then they form no cycle", () => {
    const graph = importGraph(SOURCES);
    const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
    const loops = importCycles(graph).map((cycle) => loopThrough(graph, cycle).map(shown).join(" → "));
    console.log(`structure: ${graph.size} modules, ${edges} imports, ${loops.length} cycle(s)${loops.map((l) => `\n  ${l}`).join("")}`);
    expect(loops, "import cycles").toEqual([]);
  });

  it("when src/ is searched for check ids, then none is spelled there: what is specific to a check lives in its module", () => {
    const quoted = (id: string) => `["'\`]${id}["'\`]`; // ids are lower case and hyphens: nothing to escape
    // Ids that are also ordinary words of the code (a bot's `token`, the `webhook` channel type, a server's
    // "connection" event) count only where they are used as a check id: compared with, keyed by, or set as `check`/`id`.
    const asCheckId = (id: string) => new RegExp(`\\b(check|id)\\s*(:|===|!==)\\s*${quoted(id)}|checks\\[\\s*${quoted(id)}\\s*\\]`);
    const anywhere = (id: string) => new RegExp(quoted(id));
    const ALSO_WORDS = new Set(["token", "webhook", "connection"]);
    const found = tsFiles([path.join(ROOT, "src")]).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => CHECK_IDS.filter((id) => (ALSO_WORDS.has(id) ? asCheckId(id) : anywhere(id)).test(line)).map((id) => `${shown(file)}:${i + 1} "${id}"`)),
    );
    expect(found, "check ids spelled in src/").toEqual([]);
  });
});

describe("the import-cycle finder", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "structure-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Writes a small tree of modules and returns its graph. */
  const tree = (name: string, files: Record<string, string>) => {
    const root = path.join(dir, name);
    for (const [file, text] of Object.entries(files)) {
      const at = path.join(root, file);
      mkdirSync(path.dirname(at), { recursive: true });
      writeFileSync(at, text);
    }
    const graph = importGraph([root]);
    return { graph, cycles: importCycles(graph).map((c) => c.map((f) => path.relative(root, f))) };
  };

  it("when two modules import each other only through a type import, then that is a cycle", () => {
    const { cycles } = tree("types", {
      "a.ts": 'import type { B } from "./b.ts";\nexport type A = { b: B };\n',
      "b.ts": 'import { type A } from "./a.ts";\nexport type B = { a?: A };\n',
    });
    expect(cycles).toEqual([["a.ts", "b.ts"]]);
  });

  it("when a cycle runs through a re-export across folders, then every file in it is named and one loop is shown", () => {
    const { graph, cycles } = tree("reexport", {
      "x/index.ts": 'export { y } from "../y/y.ts";\n',
      "y/y.ts": 'import { z } from "../z.ts";\nexport const y = z;\n',
      "z.ts": 'import * as x from "./x/index.ts";\nexport const z = typeof x;\n',
      "leaf.ts": 'import { z } from "./z.ts";\nexport const leaf = z;\n',
    });
    expect(cycles).toEqual([["x/index.ts", "y/y.ts", "z.ts"]]);
    const root = path.join(dir, "reexport");
    const loop = loopThrough(graph, importCycles(graph)[0]!).map((f) => path.relative(root, f));
    expect(loop).toEqual(["x/index.ts", "y/y.ts", "z.ts", "x/index.ts"]);
  });

  it("when modules only import down a chain, or name a module in a string or comment, then there is no cycle", () => {
    const { cycles } = tree("chain", {
      "a.ts": 'import { b } from "./b.ts";\n// import { a } from "./a.ts";\nexport const a = b + "import x from \'./a.ts\'";\n',
      "b.ts": 'import { c } from "./c.ts";\nexport const b = c;\n',
      "c.ts": 'import { z } from "zod";\nexport const c = String(z);\n',
    });
    expect(cycles).toEqual([]);
  });

  it("when a module imports itself, then that is a cycle of one", () => {
    expect(tree("self", { "a.ts": 'import type { A } from "./a.ts";\nexport type A = { self?: A };\n' }).cycles).toEqual([["a.ts"]]);
  });

  it("when imports are read, then static, type-only, side-effect, re-export and dynamic ones are all found", () => {
    const text = [
      'import type { A } from "./a.ts";',
      'import {\n  type B,\n  C,\n} from "./b.ts";',
      'import "./side.ts";',
      'export * from "./all.ts";',
      'type T = typeof import("./typeof.ts");',
      'const lazy = () => import("./lazy.ts");',
      'import express from "express";',
    ].join("\n");
    expect(importSpecifiers("m.ts", text)).toEqual(["./a.ts", "./b.ts", "./side.ts", "./all.ts", "./typeof.ts", "./lazy.ts"]);
  });
});
