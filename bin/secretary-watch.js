#!/usr/bin/env node
// The package's command. The sources are TypeScript that Node 24 runs directly (type stripping), so
// this file is plain JavaScript that older Node versions still parse: on Node 24 or later it runs the
// CLI in this process; on an older Node it hands over to the Node 24 the install brings (the `node`
// development dependency), or says in one line which Node is needed and how to get it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);

if (major >= NEEDED_MAJOR) {
  // Loaded only here: an older Node would fail on the .ts extension before it could say anything useful.
  const { run } = await import("../src/cli/main.ts");
  process.exitCode = await run(process.argv.slice(2));
} else {
  // The bundled Node would never be older, but a broken install must not loop: hand over once only.
  const bundled = process.env.SECRETARY_WATCH_HANDED_OVER ? undefined : bundledNode();
  if (!bundled) {
    process.stderr.write(
      `secretary-watch needs Node.js ${NEEDED_MAJOR} or later (found ${process.versions.node}): install it from nodejs.org or run \`npm ci\` in the project to get the bundled one\n`,
    );
    process.exit(1);
  }
  handOver(bundled);
}

/** The `node` package's binary, resolved from this package (not the working directory); undefined if absent. */
function bundledNode() {
  let packageJson;
  try {
    packageJson = createRequire(import.meta.url).resolve("node/package.json");
  } catch {
    return undefined;
  }
  const bin = join(dirname(packageJson), "bin");
  return [join(bin, "node"), join(bin, "node.exe")].find((file) => existsSync(file));
}

/** Runs this same command under `node` with the same arguments and terminal; its signals and exit code are ours. */
function handOver(node) {
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, SECRETARY_WATCH_HANDED_OVER: "1" },
  });
  // Ctrl-C reaches both processes (one terminal process group); a `kill` reaches only this one. Either
  // way the child decides when to stop, and a second signal does not kill this process before it.
  const forward = (signal) => child.kill(signal);
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  child.on("error", (err) => {
    process.stderr.write(`secretary-watch: could not start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
