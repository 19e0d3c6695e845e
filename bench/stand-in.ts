/**
 * The Bot API stand-in, in a process of its own so its CPU never counts as the monitor's: the
 * sandbox (src/sandbox) loaded with the benchmark fleet, answering every call after `latencyMs`.
 * Talks to bench/run.ts over IPC: sends {url} when listening, answers "stats" with its CPU time
 * and the calls it has answered.
 */
import { startSandbox } from "../src/sandbox/server.ts";
import { parseWorld } from "../src/sandbox/world.ts";
import { fleet, worldFor } from "./fleet.ts";

export interface StandInStats {
  cpuMs: number;
  calls: number;
  rssMb: number;
}

const n = Number(process.argv[2]);
const latencyMs = Number(process.argv[3] ?? 50);
const sandbox = await startSandbox({ world: parseWorld(worldFor(fleet(n), latencyMs)) });

process.on("message", (message) => {
  if (message !== "stats") return;
  const cpu = process.cpuUsage();
  const stats: StandInStats = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    calls: sandbox.world.calls().reduce((sum, c) => sum + c.count, 0),
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  };
  process.send!({ stats });
});
process.on("disconnect", () => void sandbox.close().then(() => process.exit(0)));
process.send!({ url: sandbox.url });
