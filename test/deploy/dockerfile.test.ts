/**
 * The Dockerfile and .dockerignore, parsed (no Docker engine here). What can run without Docker runs:
 * the HEALTHCHECK's command, the config and data layout the image sets up, and the imports of the
 * code the image ships against the production dependencies it installs.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig, resolveConfigPath } from "../../src/config/load.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { WatchState } from "../../src/watch-state.ts";
import { freePort } from "../support/loopback-daemon.ts";
import { dockerIgnores, options, parseDockerfile, stages } from "./dockerfile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const instructions = parseDockerfile(read("Dockerfile"));
const all = stages(instructions);
const runtime = all.at(-1)!;
const inRuntime = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword);
const ignore = read(".dockerignore");
const DEFAULT_PORT = parseConfig("bots: []", {}, "defaults").server.port;

/** The HEALTHCHECK's command as argv. */
function healthcheck(): { options: Record<string, string>; argv: string[] } {
  const [hc] = inRuntime("HEALTHCHECK");
  const { options: opts, rest } = options(hc!.args);
  const m = /^CMD\s+(\[[\s\S]*\])$/.exec(rest);
  if (!m) throw new Error(`HEALTHCHECK is not CMD in exec form: ${rest}`);
  return { options: opts, argv: JSON.parse(m[1]!) as string[] };
}

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** A stand-in for the service: answers GET /healthz with `status`. */
async function healthz(status: number): Promise<number> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/healthz" ? status : 404);
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("the Dockerfile", () => {
  it("when it is parsed, then it builds in stages from Node 24's slim image and installs production dependencies only, from the lockfile", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.image).toMatch(/^node:24(\.\d+)*-slim(@sha256:[0-9a-f]{64})?$/);
    const deps = all.find((s) => s.instructions.some((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args)))!;
    expect(deps).not.toBe(runtime);
    const install = deps.instructions.find((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args))!;
    expect(install.args).toMatch(/--omit=dev\b/);
    // Only the manifests precede the install: a source change does not invalidate the dependency layer.
    const copies = deps.instructions.filter((i) => i.keyword === "COPY");
    expect(copies.map((c) => c.args)).toEqual(["package.json package-lock.json ./"]);
    // No other way to install anything: no npm install, no npm in the runtime stage.
    expect(instructions.filter((i) => i.keyword === "RUN" && /\bnpm (i|install|add)\b/.test(i.args))).toEqual([]);
    expect(inRuntime("RUN").filter((i) => /\bnpm\b/.test(i.args))).toEqual([]);
    expect(inRuntime("COPY").map((c) => c.args)).toContain(`--from=${deps.name} /app/node_modules ./node_modules`);
    expect(inRuntime("ENV").map((e) => e.args)).toContain("NODE_ENV=production");
    // The CLI knows it is in the image: a missing config mount is an error, not the demo.
    expect(inRuntime("ENV").map((e) => e.args)).toContain("SECRETARY_WATCH_IMAGE=1");
  });

  it("when the container runs, then it runs as the base image's non-root node user, from after the last RUN to the entrypoint", () => {
    const body = runtime.instructions;
    const users = body.filter((i) => i.keyword === "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args;
    expect(user).toMatch(/^(node|1000)(:(node|1000))?$/);
    const lastUser = body.lastIndexOf(users.at(-1)!);
    const lastRun = body.findLastIndex((i) => i.keyword === "RUN");
    expect(lastUser).toBeGreaterThan(lastRun);
    expect(lastUser).toBeLessThan(body.findIndex((i) => i.keyword === "ENTRYPOINT"));
    // What it writes is its own: the data folder belongs to node.
    expect(inRuntime("RUN").some((r) => /chown (node|1000)(:(node|1000))? \/var\/lib\/secretary-watch\b/.test(r.args))).toBe(true);
  });

  it("when it starts, then it runs node src/cli/main.ts start, a file the image has", () => {
    const [entrypoint] = inRuntime("ENTRYPOINT");
    const [cmd] = inRuntime("CMD");
    const argv = [...entrypoint!.exec!, ...cmd!.exec!];
    expect(argv).toEqual(["node", "src/cli/main.ts", "start"]);
    expect(inRuntime("WORKDIR").at(-1)!.args).toBe("/app");
    expect(inRuntime("COPY").map((c) => c.args)).toContain("src ./src");
    expect(existsSync(join(ROOT, "src/cli/main.ts"))).toBe(true);
  });

  it("when the health check runs, then it asks GET /healthz on the port of the config the service runs on, and passes only on a 2xx answer", async () => {
    const { options: opts, argv } = healthcheck();
    expect(Object.keys(opts).sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
    expect(argv).toEqual(["node", "bin/secretary-watch.js", "healthcheck"]);
    expect(inRuntime("COPY").map((c) => c.args)).toContain("bin ./bin");
    expect(inRuntime("EXPOSE").map((e) => e.args)).toEqual([String(DEFAULT_PORT)]);
    // The same command (no Docker here; node is the image's node's major) against stand-ins on other
    // ports, each named by the config's server.port, as a mounted config would. Asynchronously: the
    // stand-ins answer from this process.
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-healthcheck-"));
    const run = (port: number) =>
      new Promise<number | null>((resolve) => {
        const config = join(dir, `config-${port}.yaml`);
        writeFileSync(config, `server: { port: ${port} }\nbots: []\n`);
        const env = { ...process.env, SECRETARY_WATCH_IMAGE: "1", SECRETARY_WATCH_CONFIG: config };
        const child = spawn(process.execPath, argv.slice(1), { cwd: ROOT, env, stdio: "ignore", timeout: 20_000 });
        child.on("exit", (code) => resolve(code));
      });
    expect(await run(await healthz(200))).toBe(0);
    expect(await run(await healthz(503))).toBe(1);
    expect(await run(await freePort())).toBe(1);
  }, 60_000);

  it("when config and data are mounted, then both are volumes, and the image's links make a mounted config and the demo's state land there", async () => {
    const volumes = inRuntime("VOLUME").flatMap((v) => v.exec ?? v.args.split(" "));
    expect(volumes).toEqual(expect.arrayContaining(["/etc/secretary-watch", "/var/lib/secretary-watch"]));
    const setup = inRuntime("RUN").map((r) => r.args).join(" && ");
    expect(setup).toContain("ln -s /etc/secretary-watch/config.yaml config/secretary-watch.yaml");
    expect(setup).toContain("ln -s /var/lib/secretary-watch data");

    // The same layout in a temporary root, with the real config resolution and state store.
    const root = mkdtempSync(join(tmpdir(), "secretary-watch-image-"));
    const [etc, varLib, app] = [join(root, "etc/secretary-watch"), join(root, "var/lib/secretary-watch"), join(root, "app")];
    for (const dir of [etc, varLib, join(app, "config")]) mkdirSync(dir, { recursive: true });
    symlinkSync(join(etc, "config.yaml"), join(app, "config/secretary-watch.yaml"));
    symlinkSync(varLib, join(app, "data"));
    // Nothing mounted: no config, and the path the image expected is the mount's (start then refuses, naming it).
    expect(resolveConfigPath({ env: {}, cwd: app })).toMatchObject({ none: true, expected: join(etc, "config.yaml") });
    // A config mounted at /etc/secretary-watch/config.yaml is found without setting anything.
    writeFileSync(join(etc, "config.yaml"), "bots: []\n");
    expect(resolveConfigPath({ env: {}, cwd: app })).toEqual({ path: join(app, "config/secretary-watch.yaml") });
    // The demo's store.path (relative to /app, config/demo.yaml) writes its database into the data volume.
    const demoStore = /store: \{ path: \.\/(data\/[^,}\s]+)/.exec(readFileSync(join(ROOT, "config/demo.yaml"), "utf8"))?.[1];
    expect(demoStore).toBe("data/demo.db");
    const errors: Error[] = [];
    const store = await SqliteStore.open<WatchState>({ path: join(app, demoStore!), onError: (e) => errors.push(e) });
    await store.touch();
    await store.close();
    expect(errors).toEqual([]);
    expect(readdirSync(varLib)).toContain("demo.db");
  });

  it("when the build context is sent, then .dockerignore keeps what the image copies and leaves out node_modules, state, tests, git and local configs", () => {
    const copied = instructions.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from=")).flatMap((c) => c.args.split(" ").slice(0, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of new Set(copied)) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(dockerIgnores(ignore, source), `${source} is ignored`).toBe(false);
    }
    for (const kept of ["package.json", "package-lock.json", "src/cli/main.ts", "checks/index.ts", "config/demo.yaml", "config/demo-world.yaml", "bin/secretary-watch.js"])
      expect(dockerIgnores(ignore, kept), kept).toBe(false);
    for (const left of ["node_modules/zod/package.json", "data/demo.db", "test/e2e/service.test.ts", ".git/HEAD", "config/secretary-watch.yaml", "grafana/dashboards/secretary-watch.json"])
      expect(dockerIgnores(ignore, left), left).toBe(true);
  });

  it("when the code the image ships is scanned, then every package it imports at run time is a production dependency", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
    const files = ["src", "checks", "bin"].flatMap((dir) => walk(join(ROOT, dir))).filter((f) => /\.(ts|js)$/.test(f));
    expect(files.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const file of files) {
      for (const specifier of runtimeImports(readFileSync(file, "utf8"), file)) {
        if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        if (!(name in pkg.dependencies)) missing.push(`${relative(ROOT, file)}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Module specifiers a file loads when it runs: static imports and re-exports that are not type-only, and import(). */
function runtimeImports(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0]))
      out.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}
