#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConfigError, maskConfig } from "../config/load.ts";
import { configJsonSchema } from "../config/json-schema.ts";
import { createLogger } from "../log.ts";
import { startService } from "../service.ts";
import { parseShard } from "../shard.ts";
import { startSandbox } from "../sandbox/server.ts";
import { loadWorldFile } from "../sandbox/world.ts";
import { DEMO_WORLD } from "../demo.ts";
import { VERSION } from "../version.ts";
import { loadEffectiveConfig } from "./load-effective-config.ts";
import { testChannels } from "./alerts-test-command.ts";
import { doctorExitCode, parseDoctorArgs, runDoctor } from "./doctor-command.ts";
import { checkExitCode, renderCheckTable, runCheckOnce, UsageError } from "./check-command.ts";

const USAGE = `secretary-watch ${VERSION}: health checks for Telegram bots in Secretary Mode

Usage:
  secretary-watch start [--config PATH] [--shard i/n]     run the service (no config: the built-in demo)
  secretary-watch check [--config PATH] [--bot NAME] [--json] [--shard i/n]
                                                          one sweep; exit 0 no fail, 1 some fail, 3 some unknown
  secretary-watch config check [--config PATH]            validate; print the effective config, secrets masked
  secretary-watch config schema                           print the config file's JSON Schema
  secretary-watch alerts test [--config PATH] [--channel NAME]
                                                          send a test notification through each channel
  secretary-watch doctor --token T --username U [--owner ID] [--connection ID] [--probe-chat ID] [--discover] [--config PATH]
                                                          walk the setup guide for one bot, step by step
  secretary-watch login [--api-id N] [--api-hash H] [--test]
                                                          log the test account in; prints its session string
  secretary-watch sandbox [--world FILE] [--port N]       run the simulated Telegram Bot API alone

Config: --config, else $SECRETARY_WATCH_CONFIG, else config/secretary-watch.yaml, else the demo.
Exit code 2: usage or configuration error.`;

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;

function parse<O extends Options>(args: string[], options: O) {
  return parseArgs({ args, options: { ...options, help: { type: "boolean" as const, short: "h" } }, allowPositionals: false, strict: true });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      return start(rest);
    case "check":
      return check(rest);
    case "config":
      return configCommand(rest);
    case "sandbox":
      return sandbox(rest);
    case "--version":
    case "version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    case "alerts":
      return alertsCommand(rest);
    case "login":
      // Loaded on demand: mtcute is only needed here.
      return (await import("./login-command.ts")).loginCommand(rest);
    case "doctor":
      return doctor(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function withShard<T extends { shard: { index: number; count: number } }>(config: T, flag: string | undefined): T {
  return flag ? { ...config, shard: parseShard(flag) } : config;
}

async function start(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string" }, shard: { type: "string" } });
  if (values.help) return help();
  const logger = createLogger();
  const { service, sandbox } = await startFromConfig(values.config, values.shard, logger);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down");
      resolve();
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  await service.stop();
  await sandbox?.close();
  return 0;
}

/** Loads the config and starts the service on it. The config is not kept here: the service keeps what it needs. */
async function startFromConfig(configFlag: string | undefined, shardFlag: string | undefined, logger: ReturnType<typeof createLogger>) {
  const effective = await loadEffectiveConfig(configFlag);
  if (effective.sandbox) logger.info({ sandbox: effective.sandbox.url }, "no config file: monitoring the built-in demo fleet in the sandbox");
  const service = await startService({ config: withShard(effective.config, shardFlag), logger });
  return { service, sandbox: effective.sandbox };
}

async function check(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string" }, bot: { type: "string" }, json: { type: "boolean" }, shard: { type: "string" } });
  if (values.help) return help();
  // Logs go to stderr so that stdout is only the table or the JSON.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: process.stderr });
  const effective = await loadEffectiveConfig(values.config);
  try {
    const view = await runCheckOnce(withShard(effective.config, values.shard), logger, values.bot);
    process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : renderCheckTable(view));
    return checkExitCode(view);
  } finally {
    await effective.sandbox?.close();
  }
}

async function configCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "schema") {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  }
  if (sub !== "check") throw new UsageError(`unknown config command "${sub ?? ""}" (expected: check, schema)`);
  const { values } = parse(rest, { config: { type: "string" } });
  if (values.help) return help();
  const effective = await loadEffectiveConfig(values.config);
  await effective.sandbox?.close();
  process.stderr.write(`config ${effective.source}: valid\n`);
  process.stdout.write(`${JSON.stringify(maskConfig(effective.config), null, 2)}\n`);
  return 0;
}

async function doctor(args: string[]): Promise<number> {
  const { values } = parse(args, {
    config: { type: "string" },
    token: { type: "string" },
    username: { type: "string" },
    owner: { type: "string" },
    connection: { type: "string" },
    "probe-chat": { type: "string" },
    discover: { type: "boolean" },
  });
  if (values.help) return help();
  const doctorArgs = parseDoctorArgs(values);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: process.stderr });
  const effective = await loadEffectiveConfig(values.config);
  try {
    process.stdout.write(`secretary-watch doctor: @${doctorArgs.username}, following the Secretary Mode setup guide\n`);
    const steps = await runDoctor(effective.config, doctorArgs, logger, (line) => process.stdout.write(`${line}\n`));
    return doctorExitCode(steps);
  } finally {
    await effective.sandbox?.close();
  }
}

async function alertsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "test") throw new UsageError(`unknown alerts command "${sub ?? ""}" (expected: test)`);
  const { values } = parse(rest, { config: { type: "string" }, channel: { type: "string" } });
  if (values.help) return help();
  const effective = await loadEffectiveConfig(values.config);
  try {
    const results = await testChannels(effective.config, values.channel);
    for (const r of results) process.stdout.write(`${r.ok ? "sent  " : "FAILED"}  ${r.channel} (${r.type})${r.error ? `: ${r.error}` : ""}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await effective.sandbox?.close();
  }
}

async function sandbox(args: string[]): Promise<number> {
  const { values } = parse(args, { world: { type: "string" }, port: { type: "string" }, host: { type: "string" } });
  if (values.help) return help();
  const port = values.port === undefined ? 8081 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number, got "${values.port}"`);
  const world = await loadWorldFile(values.world ?? DEMO_WORLD);
  const running = await startSandbox({ world, port, host: values.host ?? "127.0.0.1" });
  process.stdout.write(`sandbox Bot API on ${running.url} (control API under ${running.url}/_sandbox)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await running.close();
  return 0;
}

function help(): number {
  process.stdout.write(`${USAGE}\n`);
  return 0;
}

/** Maps failures to SPEC's exit codes: 2 for usage and config errors, with a message naming what is wrong. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`secretary-watch: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join("\n")}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`secretary-watch: ${(err as Error).message}\n(see secretary-watch --help)\n`);
      return 2;
    }
    process.stderr.write(`secretary-watch: ${(err as Error).message}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2));
}
