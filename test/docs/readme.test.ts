/**
 * Docs that tell the truth: every README table renders as one table, no shipped file cites a document
 * users do not have (SPEC), and the README's curls, run as written against the demo, do what it says.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianPackage } from "../support/debian.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** Lines outside fenced code blocks, with their line numbers. */
function proseLines(markdown: string): Array<{ n: number; text: string }> {
  let fenced = false;
  return markdown.split("\n").flatMap((text, i) => {
    if (/^\s*```/.test(text)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ n: i + 1, text }];
  });
}

/** GFM cells of a table row: split on pipes that are not escaped (`\|`), outer pipes dropped. */
const cells = (row: string) => row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "").split(/(?<!\\)\|/);
const isRow = (text: string) => text.trimStart().startsWith("|");
const isDelimiter = (text: string) => isRow(text) && cells(text).every((c) => /^\s*:?-{3,}:?\s*$/.test(c));

/** Every problem that would keep a table from rendering as one table, as `line N: …`. */
export function tableProblems(markdown: string): string[] {
  const lines = proseLines(markdown);
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isRow(lines[i]!.text)) continue;
    const header = lines[i]!;
    const delimiter = lines[i + 1];
    if (!delimiter || delimiter.n !== header.n + 1 || !isDelimiter(delimiter.text)) {
      // A row with no header above it: e.g. the rest of a table cut off by a blank line.
      problems.push(`line ${header.n}: a table row outside any table: ${header.text.slice(0, 60)}`);
      continue;
    }
    const columns = cells(header.text).length;
    if (cells(delimiter.text).length !== columns) problems.push(`line ${delimiter.n}: the delimiter row has ${cells(delimiter.text).length} columns, the header ${columns}`);
    let j = i + 2;
    for (; j < lines.length && lines[j]!.n === lines[j - 1]!.n + 1 && isRow(lines[j]!.text); j++) {
      const count = cells(lines[j]!.text).length;
      if (count !== columns) problems.push(`line ${lines[j]!.n}: ${count} cells, the header has ${columns}`);
    }
    i = j - 1;
  }
  return problems;
}

describe("the README's tables", () => {
  it("when the README is parsed, then every table row belongs to a table and has its header's number of columns", () => {
    expect(tableProblems(README)).toEqual([]);
    expect(proseLines(README).filter((l) => isDelimiter(l.text)).length).toBeGreaterThan(10);
  });

  it("when a table is cut by a blank line or a row has a cell too many, then the parser reports it (the check can fail)", () => {
    const broken = "| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n\n| x | y |\n|---|---|\n| 1 | 2 | 3 |\n| `p\\|q` | 5 |\n";
    expect(tableProblems(broken)).toEqual(["line 5: a table row outside any table: | 3 | 4 |", "line 9: 3 cells, the header has 2"]);
  });
});

/** What the package ships (or the image copies): the sources, configs, dashboards, deployment files, docs. */
function shippedFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(join(ROOT, path)).isDirectory() ? walk(path) : [path];
    });
  const top = readdirSync(ROOT).filter((f) => /^(README\.md|Dockerfile|docker-compose.*\.ya?ml|package\.json)$/.test(f));
  return [...top, ...["src", "checks", "config", "grafana", "deploy", "bin"].flatMap(walk)];
}

describe("shipped files", () => {
  it("when they are searched, then none cites SPEC, a document users do not have (the README's sections are cited instead)", () => {
    const files = shippedFiles();
    expect(files.length).toBeGreaterThan(50);
    const hits = files.flatMap((file) =>
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        .flatMap((line, i) => (/\bSPEC\b/.test(line) ? [`${relative(ROOT, join(ROOT, file))}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});

/** The README's sh blocks, each command's continuation lines joined, comments dropped. */
function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
}

describe("the README's curls against the demo", () => {
  let demo: ChildProcess;
  let page = "";
  let sandbox = "";
  const curls = shellCommands(README).filter((c) => c.startsWith("curl "));
  /** Runs one README line with sh, the demo's actual ports in place of 9464 and 8081; returns body and status. */
  const run = (command: string, prelude = "") => {
    const local = command.replaceAll("http://localhost:9464", page).replaceAll("http://localhost:8081", sandbox);
    const r = spawnSync("sh", ["-c", `${prelude}${local} -sS -w '\\n%{http_code}'`], { encoding: "utf8", timeout: 30_000 });
    const lines = r.stdout.trimEnd().split("\n");
    return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join("\n"), stderr: r.stderr };
  };
  const readme = (needle: string) => {
    const found = curls.filter((c) => c.includes(needle));
    expect(found.length, needle).toBeGreaterThan(0);
    return found[0]!;
  };

  beforeAll(async () => {
    ensureDebianPackage("curl", "/usr/bin/curl");
    const cwd = mkdtempSync(join(tmpdir(), "secretary-watch-readme-"));
    demo = spawn(process.execPath, [join(ROOT, "bin/secretary-watch.js"), "demo", "--port", "0", "--sandbox-port", "0"], {
      cwd,
      env: { ...process.env, LOG_LEVEL: "warn", SECRETARY_WATCH_CONFIG: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let banner = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${banner}`)), 30_000);
      demo.stderr!.on("data", (d: Buffer) => {
        banner += d.toString();
        const m = /status page\s+(http:\/\/\S+?)\/\n[\s\S]*sandbox control\s+(http:\/\/\S+?)\/_sandbox\/world/.exec(banner);
        if (m) {
          [page, sandbox] = [m[1]!, m[2]!];
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }, 60_000);
  afterAll(() => {
    demo?.kill("SIGTERM");
  });

  it("when the quick start's curls run as written, then anna breaks (down: token 401) and mends (healthy)", () => {
    const revoke = readme('{"revoked": true}');
    const sweep = readme("/api/v1/bots/anna/run");
    const mend = readme('{"revoked": false}');
    expect(run(revoke).status).toBe(200);
    const broken = run(sweep);
    expect(broken.status).toBe(200);
    const after = JSON.parse(broken.body);
    expect(after.health).toBe("down");
    expect(after.checks.find((c: { check: string }) => c.check === "token")).toMatchObject({ status: "fail", message: expect.stringContaining("401") });
    expect(run(mend).status).toBe(200);
    const mended = JSON.parse(run(sweep).body);
    expect(mended.checks.find((c: { check: string }) => c.check === "token").status).toBe("ok");
    expect(mended.health).toBe("healthy");
  });

  it("when the admin example runs as written, then the demo answers 201 and watches uma", () => {
    const register = readme("/api/v1/bots?verify=true");
    const assignment = shellCommands(README).find((c) => c.startsWith("SECRETARY_WATCH_ADMIN_TOKEN="));
    expect(assignment).toBeDefined();
    const r = run(register, `${assignment}; `);
    expect(r.status, r.body).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ name: "uma", username: "uma_secretary_bot" });
  });

  it("when every other curl the README aims at the sandbox runs as written, then each is accepted", () => {
    const sandboxCurls = curls.filter((c) => c.includes("http://localhost:8081") && !c.includes('"revoked"'));
    expect(sandboxCurls.length).toBeGreaterThanOrEqual(3);
    for (const c of sandboxCurls) expect(run(c).status, c).toBeLessThan(300);
  });
});
