import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLoopbackDaemon } from "./loopback-daemon.ts";
import { ensureDebianPackage } from "./debian.ts";

/** Debian's `prometheus` package: the server and promtool, installed by the test set-up when missing. */
export function prometheusBinaries(): { prometheus: string; promtool: string } {
  const promtool = ensureDebianPackage("prometheus", "/usr/bin/promtool");
  const prometheus = "/usr/bin/prometheus";
  if (!existsSync(prometheus)) throw new Error(`Debian package prometheus is installed, but ${prometheus} is missing`);
  return { prometheus, promtool };
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args` (in `cwd`), `stdin` piped in when given. */
export function promtool(args: string[], options: { stdin?: string; cwd?: string } = {}): ToolRun {
  const { promtool: binary } = prometheusBinaries();
  const r = spawnSync(binary, args, { input: options.stdin, cwd: options.cwd, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One sample of an instant query: labels and value ("NaN" and "+Inf" are values too). */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export type QueryAnswer = { status: "success"; resultType: string; result: PromSample[] } | { status: "error"; errorType: string; error: string };

export interface RunningPrometheus {
  url: string;
  /** `GET /api/v1/query` at the current time; the answer's status says whether the expression parsed and ran. */
  query(expr: string): Promise<QueryAnswer>;
  /** `GET /api/v1/<path>`'s `data`; throws when Prometheus answers an error. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of each target, scraped at `/metrics` under job `secretary-watch`. */
  targets: string[];
  /** Rule files to load (absolute paths). */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval, e.g. "1s". */
  interval?: string;
}

/** Starts Debian's Prometheus on a free loopback port with its TSDB in a temporary folder. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const { prometheus } = prometheusBinaries();
  const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
  const interval = options.interval ?? "1s";
  const config = join(dir, "prometheus.yml");
  // JSON is YAML: no quoting surprises.
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: [{ job_name: "secretary-watch", static_configs: [{ targets: options.targets }] }],
    }),
  );
  const daemon = await startLoopbackDaemon("prometheus", prometheus, (port) => [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ]);
  const { url } = daemon;

  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}/api/v1/${path}`)).json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`prometheus /api/v1/${path}: ${body.error ?? body.status}`);
    return body.data;
  };
  return {
    url,
    api,
    async query(expr) {
      const body = (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as {
        status: string;
        data?: { resultType: string; result: PromSample[] | [number, string] };
        errorType?: string;
        error?: string;
      };
      if (body.status !== "success" || !body.data) return { status: "error", errorType: body.errorType ?? "", error: body.error ?? "" };
      // A scalar or string result is one value without labels.
      const result = body.data.resultType === "vector" || body.data.resultType === "matrix"
        ? (body.data.result as PromSample[])
        : [{ metric: {}, value: body.data.result as [number, string] }];
      return { status: "success", resultType: body.data.resultType, result };
    },
    stop: daemon.stop,
  };
}
