#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { ConfigError } from "../config/problems.ts";
import { maskConfig } from "../config/secrets.ts";
import { parseDuration } from "../config/duration.ts";
import { configJsonSchema } from "../config/json-schema.ts";
import { withDurationsWritten } from "../config/show-durations.ts";
import { createLogger } from "../log.ts";
import { parseShard } from "../shard.ts";
import { startSandbox } from "../sandbox/server.ts";
import { loadWorldFile } from "../sandbox/world-load.ts";
import { DEMO_WORLD } from "../demo.ts";
import { VERSION } from "../version.ts";
import { loadDoctorConfig, loadRequiredConfig } from "./load-effective-config.ts";
import { testChannels } from "./alerts-test-command.ts";
import { doctorExitCode, doctorJson, parseDoctorArgs, runDoctor } from "./doctor-command.ts";
import { checkExitCode, parseFailOn, renderCheckTable, runCheckOnce, UsageError } from "./check-command.ts";
import { healthcheck } from "./healthcheck-command.ts";
import { runHistory } from "./history-command.ts";
import { runReport } from "./report-command.ts";
import { demo, runUntilStopped, start } from "./start-command.ts";

const USAGE = `secretary-watch ${VERSION}: health checks for Telegram bots in Secretary Mode

Usage:
  secretary-watch start [--config PATH] [--shard i/n] [--watch-config]
                                                          run the service (no config file: the built-in demo, announced);
                                                          SIGHUP reloads the config, --watch-config on every change
  secretary-watch demo [--port N] [--sandbox-port N]      run the built-in demo: the sandbox and its demo fleet
  secretary-watch check [--config PATH] [--bot NAME] [--json] [--shard i/n] [--fail-on degraded|down]
                                                          one sweep; exit 0 no fail, 1 some fail, 3 some unknown
                                                          (--fail-on: 1 when a bot's health is at least that)
  secretary-watch config check [--config PATH]            validate; print the effective config, secrets masked
  secretary-watch config schema                           print the config file's JSON Schema
  secretary-watch alerts test [--config PATH] [--channel NAME]
                                                          send a test notification through each channel
  secretary-watch doctor --token T --username U [--owner ID] [--connection ID] [--probe-chat ID] [--discover]
                         [--config PATH] [--timeout DURATION] [--json]
                                                          walk the setup guide for one bot, step by step, asking
                                                          telegram.apiRoot of the config (none: api.telegram.org)
  secretary-watch login [--api-id N] [--api-hash H] [--test]
                                                          log the test account in; prints its session string
  secretary-watch sandbox [--world FILE] [--port N]       run the simulated Telegram Bot API alone
  secretary-watch history [--config PATH] [--bot NAME] [--since 7d] [--json]
                                                          uptime and incidents from the store (beside the service too)
  secretary-watch report [--config PATH] [--window 7d] [--channel NAME]
                                                          the reports' digest of the window ending now: printed,
                                                          or sent through that channel
  secretary-watch healthcheck [--config PATH]             exit 0 when the service of that config answers /healthz
  secretary-watch --version                               print the version

Config: --config, else $SECRETARY_WATCH_CONFIG, else config/secretary-watch.yaml. Without one, only
start runs (the demo); SECRETARY_WATCH_DEMO=1 makes start run the demo on purpose.
Exit code 2: usage or configuration error.`;

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;

function parse<O extends Options>(args: string[], options: O) {
  return parseArgs({ args, options: { ...options, help: { type: "boolean" as const, short: "h" } }, allowPositionals: false, strict: true });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start": {
      const { values } = parse(rest, { config: { type: "string" }, shard: { type: "string" }, "watch-config": { type: "boolean" } });
      return values.help ? help() : start(values);
    }
    case "demo": {
      const { values } = parse(rest, { port: { type: "string" }, "sandbox-port": { type: "string" } });
      return values.help ? help() : demo({ port: portFlag("--port", values.port), sandboxPort: portFlag("--sandbox-port", values["sandbox-port"]) });
    }
    case "healthcheck": {
      const { values } = parse(rest, { config: { type: "string" } });
      return values.help ? help() : healthcheck(values);
    }
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
    case "history":
      return history(rest);
    case "report":
      return report(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function withShard<T extends { shard: { index: number; count: number } }>(config: T, flag: string | undefined): T {
  return flag ? { ...config, shard: parseShard(flag) } : config;
}

function portFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`${flag}: expected a port number, got "${value}"`);
  return port;
}

async function check(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string" }, bot: { type: "string" }, json: { type: "boolean" }, shard: { type: "string" }, "fail-on": { type: "string" } });
  if (values.help) return help();
  const failOn = parseFailOn(values["fail-on"]);
  // Logs go to stderr so that stdout is only the table or the JSON.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: process.stderr });
  const { config } = loadRequiredConfig("check", values.config);
  const view = await runCheckOnce(withShard(config, values.shard), logger, values.bot);
  process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : renderCheckTable(view));
  return checkExitCode(view, failOn);
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
  const { config, file } = loadRequiredConfig("config check", values.config);
  process.stderr.write(`config ${file}: valid\n`);
  // Durations as the file writes them (30s), not the milliseconds the service works with.
  process.stdout.write(`${JSON.stringify(withDurationsWritten(maskConfig(config), writtenConfig(file)), null, 2)}\n`);
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
    timeout: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return help();
  const doctorArgs = parseDoctorArgs(values);
  const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (timeout === 0 || (values.timeout !== undefined && timeout === undefined))
    throw new UsageError(`doctor: --timeout expects a duration such as 5s, got "${values.timeout}"`);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: process.stderr });
  const loaded = loadDoctorConfig(values.config);
  const config = timeout ? { ...loaded.config, telegram: { ...loaded.config.telegram, timeout } } : loaded.config;
  if (values.json) {
    // stdout is only the JSON document; it names the Telegram it asked as the text's header does.
    const report = doctorJson(config.telegram.apiRoot, await runDoctor(config, doctorArgs, logger, () => undefined));
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.exit;
  }
  process.stdout.write(`secretary-watch doctor: @${doctorArgs.username}, following the Secretary Mode setup guide\n`);
  // Which Telegram answers matters: a simulated one would condemn a good token.
  const whose = loaded.file ? `telegram.apiRoot of ${loaded.file}` : "no config file: Telegram's Bot API";
  process.stdout.write(`asking ${config.telegram.apiRoot} (${whose})\n`);
  const steps = await runDoctor(config, doctorArgs, logger, (line) => process.stdout.write(`${line}\n`));
  return doctorExitCode(steps);
}

async function history(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string" }, bot: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return help();
  const { config } = loadRequiredConfig("history", values.config);
  return runHistory(config, values, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
}

async function report(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string" }, window: { type: "string" }, channel: { type: "string" } });
  if (values.help) return help();
  const { config } = loadRequiredConfig("report", values.config);
  return runReport(config, values, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
}

async function alertsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "test") throw new UsageError(`unknown alerts command "${sub ?? ""}" (expected: test)`);
  const { values } = parse(rest, { config: { type: "string" }, channel: { type: "string" } });
  if (values.help) return help();
  const { config } = loadRequiredConfig("alerts test", values.config);
  const results = await testChannels(config, values.channel);
  for (const r of results) process.stdout.write(`${r.skipped ? "skipped" : r.ok ? "sent  " : "FAILED"}  ${r.channel} (${r.type})${r.error ? `: ${r.error}` : ""}${r.skipped ? `: ${r.skipped}` : ""}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

async function sandbox(args: string[]): Promise<number> {
  const { values } = parse(args, { world: { type: "string" }, port: { type: "string" }, host: { type: "string" } });
  if (values.help) return help();
  const port = portFlag("--port", values.port) ?? 8081;
  const world = loadWorldFile(values.world ?? DEMO_WORLD);
  const running = await startSandbox({ world, port, host: values.host ?? "127.0.0.1" });
  process.stdout.write(`sandbox Bot API on ${running.url} (control API under ${running.url}/_sandbox)\n`);
  return runUntilStopped(createLogger({ level: "warn" }), [() => running.close()]);
}

function help(): number {
  process.stdout.write(`${USAGE}\n`);
  return 0;
}

/** The config file as written (before defaults and `${VAR}`), for showing durations as written; undefined if unreadable. */
function writtenConfig(file: string): unknown {
  try {
    return YAML.parse(readFileSync(file, "utf8"), { maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

/** Maps failures to the exit codes (README, "Command line"): 2 for usage and config errors, with a message naming what is wrong. */
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
