/**
 * Stopping what a user starts: `npm start` (npm → the bin → the service) and the bin handing over from
 * an old Node to the bundled one. SIGTERM to the outermost process, or Ctrl-C (SIGINT to the whole
 * process group, as a terminal sends it), must stop the service and the demo's sandbox within seconds,
 * leaving no process behind and nothing listening.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SYSTEM_NODE = "/usr/bin/node";
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Every process below `pid`, read from /proc (children of children too). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([p]) => p);
    out.push(...next);
    frontier = next;
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts `command` in its own process group and resolves once `ready` matches its output, with what it matched. */
function launch(command: string, args: string[], ready: RegExp, cwd = ROOT): Promise<{ child: ChildProcess; match: RegExpMatchArray; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(command, args, { cwd, detached: true, env: { ...process.env, LOG_LEVEL: "info", SECRETARY_WATCH_CONFIG: "", SECRETARY_WATCH_DEMO: "" }, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`not ready within 30 s:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, exited, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
}

/** Sends `signal` (to the whole group when `group`), then expects every process gone within 5 s and `urls` refusing connections. */
async function expectStops(child: ChildProcess, exited: Promise<number | null>, signal: NodeJS.Signals, group: boolean, urls: string[]) {
  const below = descendants(child.pid!);
  expect(below.length).toBeGreaterThan(0);
  for (const url of urls) expect((await fetch(`${url}/healthz`).catch(() => fetch(`${url}/_sandbox/world`))).status).toBeLessThan(500);
  const t0 = Date.now();
  process.kill(group ? -child.pid! : child.pid!, signal);
  const code = await Promise.race([exited, new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000))]);
  expect(code, "exit within 5 s").not.toBe("hung");
  // The children finish their shutdown alongside the parent; give them the same few seconds.
  for (let i = 0; i < 50 && below.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  expect(below.filter(alive), "processes left behind").toEqual([]);
  for (const url of urls) await expect(fetch(url), `${url} still answers`).rejects.toThrow();
  return { code, ms: Date.now() - t0 };
}

function tempConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "secretary-watch-stop-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, `server: { host: 127.0.0.1, port: 0 }\nstore: { path: ${join(dir, "state.json")} }\nbots: []\n`);
  return file;
}

const SERVING = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"secretary-watch is serving"/;

describe("stopping `npm start`", () => {
  it("when npm gets SIGTERM, then the service stops with it and nothing is left listening", async () => {
    const { child, match, exited } = await launch("npm", ["start", "--", "--config", tempConfig()], SERVING);
    const { code, ms } = await expectStops(child, exited, "SIGTERM", false, [match[1]!]);
    expect(code).toBe(0);
    console.log(`npm start stopped by SIGTERM in ${ms} ms`);
  }, 60_000);

  it("when Ctrl-C reaches the whole process group, then the service shuts down cleanly once, despite the signal arriving twice", async () => {
    const { child, match, exited, output } = await launch("npm", ["start", "--", "--config", tempConfig()], SERVING);
    const { code } = await expectStops(child, exited, "SIGINT", true, [match[1]!]);
    expect(code).toBe(0);
    // One orderly shutdown to the end (state flushed), not a second signal's abrupt death.
    expect(output().match(/"msg":"shutting down"/g)).toHaveLength(1);
    expect(output()).toContain('"msg":"secretary-watch stopped"');
  }, 60_000);
});

describe("stopping the bin when it handed over from the machine's Node to the bundled one", () => {
  it("when the outer (old) Node gets SIGTERM, then the demo's service and sandbox stop too", async () => {
    const BANNER = /status page\s+(http:\/\/\S+?)\/\n[\s\S]*sandbox control\s+(http:\/\/\S+?)\/_sandbox\/world/;
    const cwd = mkdtempSync(join(tmpdir(), "secretary-watch-stop-demo-"));
    const bin = join(ROOT, "bin/secretary-watch.js");
    const { child, match, exited } = await launch(SYSTEM_NODE, [bin, "demo", "--port", "0", "--sandbox-port", "0"], BANNER, cwd);
    const { code } = await expectStops(child, exited, "SIGTERM", false, [match[1]!, match[2]!]);
    expect(code).toBe(0);
  }, 60_000);
});
