/**
 * What a watched bot costs in memory at rest: `npx node bench/heap-per-bot.ts 1000 10000`.
 * For each size a child process (the deploy's V8 flags) starts the service as bench/monitor.ts does,
 * against the stand-in in a process of its own and a SQLite store in a temporary folder, waits until
 * every bot has a result plus one more interval, forces GC and writes a heap snapshot. This process
 * then reads each snapshot (nodes and edges, no dominator tree) and prints self size by constructor,
 * and the size reachable from the service's known roots; the difference between the two sizes,
 * divided by the bot difference, is the cost per bot.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import pino from "pino";
import { nextMessage } from "./ipc.ts";
import { configBots, fleet } from "./fleet.ts";

const INTERVAL_MS = Number(process.env.HEAP_INTERVAL_MS ?? 20_000);
const NODE_OPTIONS = ["--max-semi-space-size=16", "--max-old-space-size=256", "--expose-gc"];

interface ChildResult { rssMb: number; heapUsedMb: number; snapshot: string }

async function child(url: string, n: number, dir: string): Promise<void> {
  const { parseConfig } = await import("../src/config/load.ts");
  const { createLogger } = await import("../src/log.ts");
  const { startService } = await import("../src/service.ts");
  const service = await (async () => {
    const raw = {
      telegram: { apiRoot: url, timeout: "10s" },
      server: { host: "127.0.0.1", port: 0 },
      store: { path: join(dir, "secretary-watch.db") },
      schedule: { interval: `${INTERVAL_MS}ms`, concurrency: 64 },
      checks: { "webhook-endpoint": { enabled: false } },
      bots: configBots(fleet(n)),
    };
    const config = parseConfig(JSON.stringify(raw), {}, "heap config");
    const logger = createLogger({ level: "info", destination: pino.destination({ dest: join(dir, "monitor.log"), sync: false }) });
    return startService({ config, logger });
  })();
  while ([...service.store.results.values()].length < n) await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, INTERVAL_MS));
  for (let i = 0; i < 3; i++) globalThis.gc!();
  const mem = process.memoryUsage();
  const snapshot = v8.writeHeapSnapshot(join(dir, `bots-${n}.heapsnapshot`));
  process.send!({ result: { rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20, snapshot } satisfies ChildResult });
  await service.stop();
  process.exit(0);
}

/** Self size by constructor name (objects: their class; strings, arrays, closures, code by type). */
interface Tally { byName: Map<string, number>; byRoot: Map<string, number>; total: number }

function readSnapshot(file: string): Tally {
  const snap = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[]; edges: number[]; strings: string[];
  };
  const { node_fields, node_types, edge_fields, edge_types } = snap.snapshot.meta;
  const NF = node_fields.length, EF = edge_fields.length;
  const field = (list: string[], f: string): number => {
    const i = list.indexOf(f);
    if (i < 0) throw new Error(`heap snapshot without the ${f} field`);
    return i;
  };
  const [iType, iName, iSelf, iEdges] = ["type", "name", "self_size", "edge_count"].map((f) => field(node_fields, f)) as [number, number, number, number];
  const [eType, eTo] = ["type", "to_node"].map((f) => field(edge_fields, f)) as [number, number];
  const types = node_types[0], eTypes = edge_types[0];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / NF;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) { firstEdge[i] = e; e += nodes[i * NF + iEdges]! * EF; firstEdge[i + 1] = e; }
  const label = (i: number): string => {
    const t = types[nodes[i * NF + iType]!]!;
    return t === "object" || t === "native" ? strings[nodes[i * NF + iName]!]! : `(${t})`;
  };
  const byName = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const s = nodes[i * NF + iSelf]!;
    total += s;
    const l = label(i);
    byName.set(l, (byName.get(l) ?? 0) + s);
  }
  // Owning structures: the nodes reachable from each root (first root to reach a node owns it), not
  // passing through weak edges or the shared parts every root reaches (code, maps, system objects).
  const roots: [string, (name: string) => boolean][] = [
    ["BotClient objects", (n) => n === "BotClient"],
    ["alert engine", (n) => /AlertEngine|Outbox/.test(n)],
    ["history", (n) => /History/.test(n)],
    ["scheduler", (n) => /Scheduler|Timeout/.test(n)],
    ["store", (n) => /Store$|Sqlite|Database|StatementSync|MemoryTable|DocumentTable/.test(n)],
    ["redaction", (n) => /Redact/.test(n)],
    ["prom-client", (n) => /^(Counter|Gauge|Histogram|Summary|Registry)$/.test(n)],
    ["grammY", (n) => /^(Api|Bot|GrammyError|HttpError)$/.test(n)],
    // Last: what the monitor holds that no structure above owns (its Map of watched bots, their results).
    ["Monitor / Fleet (rest)", (n) => n === "Monitor" || n === "Fleet"],
  ];
  const owner = new Int8Array(count).fill(-1);
  const skip = new Set(["(code)", "(hidden)", "(synthetic)", "system / Map", "(object shape)"]);
  const byRoot = new Map<string, number>();
  roots.forEach(([rootName, match], r) => {
    const stack: number[] = [];
    for (let i = 0; i < count; i++) if (owner[i] === -1 && types[nodes[i * NF + iType]!] === "object" && match(label(i))) { owner[i] = r; stack.push(i); }
    let size = 0;
    while (stack.length) {
      const i = stack.pop()!;
      size += nodes[i * NF + iSelf]!;
      for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EF) {
        if (eTypes[edges[e + eType]!] === "weak") continue;
        const to = edges[e + eTo]! / NF;
        if (owner[to] !== -1 || skip.has(label(to)) || eTypes[edges[e + eType]!] === "shortcut") continue;
        // Another root's object is its own structure, not part of this one.
        if (roots.some(([, m]) => types[nodes[to * NF + iType]!] === "object" && m(label(to)))) continue;
        owner[to] = r;
        stack.push(to);
      }
    }
    byRoot.set(rootName, size);
  });
  return { byName, byRoot, total };
}

async function main(sizes: number[]): Promise<void> {
  const here = (f: string) => new URL(f, import.meta.url).pathname;
  const results: { n: number; r: ChildResult; t: Tally }[] = [];
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), "secretary-watch-heap-"));
    const standIn = fork(here("stand-in.ts"), [String(n), "50"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const url = await nextMessage<string>(standIn, "url");
    const proc = fork(here("heap-per-bot.ts"), ["--child", url, String(n), dir], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: NODE_OPTIONS });
    const r = await nextMessage<ChildResult>(proc, "result");
    await new Promise((res) => proc.once("exit", res));
    standIn.disconnect();
    const t = readSnapshot(r.snapshot);
    rmSync(dir, { recursive: true, force: true });
    results.push({ n, r, t });
    console.log(`${n} bots: rss ${r.rssMb.toFixed(1)} MB, heap used ${r.heapUsedMb.toFixed(1)} MB, snapshot self total ${(t.total / 2 ** 20).toFixed(1)} MB`);
  }
  if (results.length < 2) return;
  const a = results[0]!, b = results.at(-1)!;
  const dn = b.n - a.n;
  const per = (x: number, y: number) => ((y - x) / dn).toFixed(0).padStart(8);
  console.log(`\nper bot (${a.n} -> ${b.n}): rss ${(((b.r.rssMb - a.r.rssMb) * 2 ** 20) / dn).toFixed(0)} B, heap used ${(((b.r.heapUsedMb - a.r.heapUsedMb) * 2 ** 20) / dn).toFixed(0)} B, snapshot ${per(a.t.total, b.t.total)} B`);
  console.log("\nby owning structure (B/bot):");
  for (const [k, v] of b.t.byRoot) console.log(`  ${k.padEnd(20)} ${per(a.t.byRoot.get(k) ?? 0, v)}`);
  console.log("\nby constructor, top 25 (B/bot):");
  const rows = [...b.t.byName].map(([k, v]) => [k, (v - (a.t.byName.get(k) ?? 0)) / dn] as const).sort((x, y) => y[1] - x[1]).slice(0, 25);
  for (const [k, v] of rows) console.log(`  ${k.slice(0, 40).padEnd(40)} ${v.toFixed(0).padStart(8)}`);
}

const args = process.argv.slice(2);
if (args[0] === "--child") await child(args[1]!, Number(args[2]), args[3]!);
else await main((args.length ? args : ["1000", "10000"]).map(Number));
