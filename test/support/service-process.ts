/**
 * The service as its own process, as `secretary-watch start --config PATH` runs it (the config file,
 * startService, stopped by SIGTERM/SIGINT through the CLI's own runUntilStopped), with the timings a
 * fault test shortens and the CLI does not take: `--heartbeat-ms` (the monitor's heartbeat, 15 s by
 * default), `--flush-ms` (the batched sweep bookkeeping, 1 min by default), and for replicas `--lease-ms`
 * (a shard lease, 30 s by default) and `--poll-ms` (how often the change feed is read besides NOTIFY, 2 s).
 * `--gc-ms N` runs a full garbage collection every N ms, for a memory figure that counts what the process
 * holds rather than what V8 has not yet collected.
 * Usage: node test/support/service-process.ts --config PATH [--heartbeat-ms N] [--flush-ms N] [--lease-ms N] [--poll-ms N] [--gc-ms N]
 */
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { runUntilStopped } from "../../src/cli/start-command.ts";
import { loadConfigFile } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startService } from "../../src/service.ts";

const { values } = parseArgs({
  options: { config: { type: "string" }, "heartbeat-ms": { type: "string" }, "flush-ms": { type: "string" }, "lease-ms": { type: "string" }, "poll-ms": { type: "string" }, "gc-ms": { type: "string" } },
});
if (values.config === undefined) throw new Error("service-process: --config PATH is required");
const ms = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new Error(`service-process: ${flag} expects a positive number of milliseconds, got "${value}"`);
  return Number(value);
};
const heartbeatMs = ms("--heartbeat-ms", values["heartbeat-ms"]);
const storeFlushMs = ms("--flush-ms", values["flush-ms"]);
const leaseMs = ms("--lease-ms", values["lease-ms"]);
const replicaPollMs = ms("--poll-ms", values["poll-ms"]);
const gcMs = ms("--gc-ms", values["gc-ms"]);
if (gcMs !== undefined) {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  setInterval(gc, gcMs).unref();
}

const logger = createLogger();
const service = await startService({
  config: loadConfigFile(values.config, process.env),
  logger,
  ...(heartbeatMs !== undefined && { heartbeatMs }),
  ...(storeFlushMs !== undefined && { storeFlushMs }),
  ...(leaseMs !== undefined && { leaseMs }),
  ...(replicaPollMs !== undefined && { replicaPollMs }),
});
process.exitCode = await runUntilStopped(logger, [() => service.stop()]);
