import type { Logger } from "pino";
import { loadConfigFile } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { DEMO_CONFIG, startDemoSandbox } from "../demo.ts";
import { createLogger } from "../log.ts";
import { startService, type Service } from "../service.ts";
import { watchConfig } from "../reload/watch-config.ts";
import { parseShard } from "../shard.ts";
import { demoBanner } from "./demo-banner.ts";
import { planStart } from "./load-effective-config.ts";

/** Something running that a stop signal ends, in order. */
type Stoppable = () => Promise<void>;

/**
 * `start [--config PATH] [--shard i/n] [--watch-config]`: the service on the config file, or the demo
 * when there is none. SIGHUP reloads the file (README, "Reload"); --watch-config reloads it when it changes.
 */
export async function start(values: { config?: string | undefined; shard?: string | undefined; "watch-config"?: boolean | undefined }): Promise<number> {
  const plan = planStart(values.config);
  const logger = createLogger();
  if (plan.demo) {
    if (values["watch-config"]) logger.warn("--watch-config: the built-in demo has no config file to watch");
    return runUntilStopped(logger, ...(await startDemo({ why: plan.why, logger, shard: values.shard })));
  }
  const load = (file: string) => withShard(loadConfigFile(file, process.env), values.shard);
  const service = await startService({ config: withShard(plan.config, values.shard), logger, reloadFrom: { file: plan.file, load } });
  const stopWatching = values["watch-config"] ? watchConfig(plan.file, () => reload(service, "watch", logger), logger) : undefined;
  return runUntilStopped(logger, [async () => stopWatching?.(), () => service.stop()], service);
}

/** A reload from a signal or the watcher: its outcome is logged by the reloader; nothing is thrown. */
function reload(service: Service, trigger: "SIGHUP" | "watch", logger: Logger): void {
  service.reloader.reload(trigger).catch((err: unknown) => logger.error({ err, trigger }, "config reload failed while being applied"));
}

/** `demo [--port N] [--sandbox-port N]`: the built-in demo on purpose. */
export async function demo(values: { port?: number | undefined; sandboxPort?: number | undefined }): Promise<number> {
  const logger = createLogger();
  return runUntilStopped(logger, ...(await startDemo({ why: "asked for with `demo`", logger, ...values })));
}

/** The sandbox with the demo world, the service on config/demo.yaml pointed at it, and the banner. */
async function startDemo(opts: { why: string; logger: Logger; shard?: string | undefined; port?: number | undefined; sandboxPort?: number | undefined }): Promise<[Stoppable[], Service]> {
  const { sandbox, env } = await startDemoSandbox(opts.sandboxPort === undefined ? {} : { port: opts.sandboxPort });
  try {
    const config = withShard(loadConfigFile(DEMO_CONFIG, { ...process.env, ...env }), opts.shard);
    opts.logger.info({ sandbox: sandbox.url }, "running the built-in demo: monitoring the demo fleet in the sandbox");
    const service = await startService({ config, logger: opts.logger, ...(opts.port !== undefined && { port: opts.port }) });
    process.stderr.write(demoBanner({ why: opts.why, serviceUrl: service.url, sandboxUrl: sandbox.url, config }));
    // Started without a file, its reloader answers every reload that there is none to reload.
    return [[() => service.stop(), () => sandbox.close()], service];
  } catch (err) {
    await sandbox.close();
    throw err;
  }
}

/**
 * Waits for SIGTERM or SIGINT, then stops everything in order. The handlers stay installed while it
 * stops: a Ctrl-C under `npm start` arrives twice (from the terminal and forwarded by npm), and a
 * second signal must not kill the process before the state is flushed.
 */
export async function runUntilStopped(logger: Logger, parts: Stoppable[], service?: Service): Promise<number> {
  let shutdown: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    let first = true;
    shutdown = (signal) => {
      if (first) logger.info({ signal }, "shutting down");
      first = false;
      resolve();
    };
  });
  const hangup = () => service && reload(service, "SIGHUP", logger);
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("SIGHUP", hangup);
  await stopped;
  process.off("SIGHUP", hangup);
  for (const stop of parts) await stop();
  process.off("SIGTERM", shutdown);
  process.off("SIGINT", shutdown);
  return 0;
}

function withShard(config: Config, flag: string | undefined): Config {
  if (flag && config.store.url) throw new Error("--shard: not with store.url, where replicas claim shards by lease (set shard.count in the config)");
  return flag ? { ...config, shard: parseShard(flag) } : config;
}
