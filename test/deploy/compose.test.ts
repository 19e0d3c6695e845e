/**
 * docker-compose.yml, parsed (no Docker engine here), and the files it wires together: the stack's
 * secretary-watch config (validated by the real loader), Prometheus' config (checked by promtool), and
 * Grafana's provisioning. Each cross-reference between them is checked: names, ports, paths.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadConfigFile } from "../../src/config/load.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { prometheusBinaries, promtool } from "../support/prometheus.ts";
import { parseDockerfile, stages } from "./dockerfile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  [key: string]: unknown;
}

const compose = YAML.parse(read("docker-compose.yml")) as { services: Record<string, Service>; volumes?: Record<string, unknown>; [key: string]: unknown };
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

/** Keys of the Compose specification this file may use (a typo is not silently ignored by this test). */
const SERVICE_KEYS = new Set(["build", "image", "command", "entrypoint", "environment", "ports", "expose", "volumes", "depends_on", "healthcheck", "restart", "user", "read_only", "tmpfs", "networks", "labels", "logging", "stop_grace_period", "env_file"]);

/** `HOST:CONTAINER` (optionally `IP:`) of a short-syntax port. */
function ports(s: Service): Array<{ host: number; container: number }> {
  return (s.ports ?? []).map((p) => {
    const parts = String(p).split(":");
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

/** Short-syntax volumes: a bind mount's source starts with `.` or `/`, else it is a named volume. */
function mounts(s: Service): Array<{ source: string; target: string; bind: boolean; readOnly: boolean }> {
  return (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(":");
    return { source: source!, target: target!, bind: /^[./]/.test(source!), readOnly: mode === "ro" };
  });
}

const mountOf = (s: Service, source: string) => mounts(s).find((m) => m.source === source);
const dependsOn = (s: Service): Record<string, string> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, "service_started"])) : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition]));

/** The stack's secretary-watch config, through the real loader, environment as in the container. */
const swMount = mountOf(service("secretary-watch"), "./deploy/compose/secretary-watch.yaml");
const swConfig = loadConfigFile(join(ROOT, "deploy/compose/secretary-watch.yaml"), {});
const dockerVolumes = stages(parseDockerfile(read("Dockerfile"))).at(-1)!.instructions.filter((i) => i.keyword === "VOLUME").flatMap((v) => v.exec ?? v.args.split(" "));

describe("docker-compose.yml", () => {
  // promtool checks the Prometheus config: Debian's prometheus package, installed when missing.
  beforeAll(() => void prometheusBinaries(), 300_000);

  it("when it is parsed, then it runs secretary-watch, the sandbox, Prometheus, Grafana and a mail catcher, on pinned images, with known keys only", () => {
    expect(Object.keys(services).sort()).toEqual(["grafana", "mailpit", "prometheus", "sandbox", "secretary-watch"]);
    expect(Object.keys(compose).filter((k) => !["name", "services", "volumes", "networks"].includes(k))).toEqual([]);
    for (const [name, s] of Object.entries(services)) {
      for (const key of Object.keys(s)) expect(SERVICE_KEYS.has(key), `${name}.${key}`).toBe(true);
      if (s.build === undefined) expect(s.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)+$/);
    }
    // Both Node services run the image this repository's Dockerfile builds.
    for (const name of ["secretary-watch", "sandbox"]) expect(service(name).build, name).toBe(".");
    expect(service("mailpit").image).toMatch(/^axllent\/mailpit:/);
  });

  it("when it is up, then the status page, Prometheus, Grafana, Mailpit and the sandbox are published on their usual ports", () => {
    expect(ports(service("secretary-watch"))).toEqual([{ host: 9464, container: swConfig.server.port }]);
    expect(ports(service("prometheus"))).toEqual([{ host: 9090, container: 9090 }]);
    expect(ports(service("grafana"))).toEqual([{ host: 3000, container: 3000 }]);
    expect(ports(service("mailpit"))).toEqual([{ host: 8025, container: 8025 }]);
    const sandboxPort = Number(service("sandbox").command![service("sandbox").command!.indexOf("--port") + 1]);
    expect(ports(service("sandbox"))).toEqual([{ host: 8081, container: sandboxPort }]);
  });

  it("when secretary-watch starts, then its config is the mounted file SECRETARY_WATCH_CONFIG names and its state goes to the data volume", () => {
    const sw = service("secretary-watch");
    expect(swMount).toMatchObject({ bind: true, readOnly: true });
    expect(sw.environment?.SECRETARY_WATCH_CONFIG).toBe(swMount!.target);
    expect(dockerVolumes).toContain(swMount!.target.replace(/\/[^/]+$/, ""));
    const data = mounts(sw).find((m) => m.target === "/var/lib/secretary-watch");
    expect(data).toMatchObject({ bind: false });
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source);
    expect(dockerVolumes).toContain(data!.target);
    expect(swConfig.store.path.startsWith(`${data!.target}/`)).toBe(true);
    // Every bind mount of the stack exists in the repository.
    for (const [name, s] of Object.entries(services))
      for (const m of mounts(s).filter((m) => m.bind)) expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
    for (const [name, s] of Object.entries(services))
      for (const m of mounts(s).filter((m) => !m.bind)) expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source}`).toContain(m.source);
  });

  it("when the stack starts, then secretary-watch waits for a healthy sandbox, and every service without the image's /healthz check has its own", () => {
    const sw = service("secretary-watch");
    expect(dependsOn(sw)).toEqual({ sandbox: "service_healthy", mailpit: "service_started" });
    // secretary-watch keeps the image's HEALTHCHECK (GET /healthz); the sandbox serves another port.
    expect(sw.healthcheck).toBeUndefined();
    const sandbox = service("sandbox");
    const port = sandbox.command![sandbox.command!.indexOf("--port") + 1];
    expect(sandbox.command).toEqual(["sandbox", "--port", port, "--host", "0.0.0.0"]);
    expect(sandbox.healthcheck?.test.join(" ")).toContain(`http://127.0.0.1:${port}/_sandbox/`);
    expect(service("prometheus").healthcheck?.test.join(" ")).toContain("http://127.0.0.1:9090/-/ready");
    expect(service("grafana").healthcheck?.test.join(" ")).toContain("http://127.0.0.1:3000/api/health");
    expect(dependsOn(service("grafana"))).toEqual({ prometheus: "service_healthy" });
  });

  it("when the stack's secretary-watch config is loaded, then it is the demo, wired to the sandbox service, with an email channel to the mail catcher", () => {
    // The demo config, with the sandbox where the sandbox service answers ...
    const sandbox = service("sandbox");
    const sandboxUrl = `http://sandbox:${sandbox.command![sandbox.command!.indexOf("--port") + 1]}`;
    expect(swConfig.telegram.apiRoot).toBe(sandboxUrl);
    const demo = loadConfigFile(DEMO_CONFIG, { SECRETARY_WATCH_SANDBOX_URL: sandboxUrl });
    // ... the same bots, checks, test account and schedule (keep deploy/compose/secretary-watch.yaml in step with config/demo.yaml) ...
    const { server: _s, store: _st, alerts: demoAlerts, ...demoRest } = demo;
    const { server, store: _st2, alerts, ...rest } = swConfig;
    expect(rest).toEqual(demoRest);
    expect({ ...alerts, channels: {} }).toEqual({ ...demoAlerts, channels: {} });
    for (const [name, channel] of Object.entries(demoAlerts.channels)) expect(alerts.channels[name], name).toEqual(channel);
    expect(server.port).toBe(demo.server.port);
    // ... plus mail to Mailpit's SMTP port (1025) on the compose network.
    const emails = Object.values(alerts.channels).filter((c) => c.type === "email");
    expect(emails.length).toBe(1);
    const smtp = new URL((emails[0] as { url: string }).url);
    expect([smtp.protocol, smtp.hostname, smtp.port]).toEqual(["smtp:", "mailpit", "1025"]);
    expect(Object.keys(services)).toContain(smtp.hostname);
  });

  it("when Prometheus starts, then promtool accepts its config, which scrapes secretary-watch and loads the mounted rules", () => {
    const prom = service("prometheus");
    const configMount = mountOf(prom, "./deploy/prometheus/prometheus.yml")!;
    expect(prom.command).toContain(`--config.file=${configMount.target}`);
    const rulesMount = mountOf(prom, "./grafana/prometheus/secretary-watch.rules.yml")!;
    expect(rulesMount.readOnly).toBe(true);
    const config = YAML.parse(read("deploy/prometheus/prometheus.yml")) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const [job] = config.scrape_configs;
    expect(job!.static_configs.flatMap((s) => s.targets)).toEqual([`secretary-watch:${swConfig.server.port}`]);
    expect(job!.metrics_path ?? "/metrics").toBe("/metrics");
    // The rule_files glob matches the mounted rules file, and not the unit tests.
    const glob = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
    expect(config.rule_files.some((g) => glob(g).test(rulesMount.target))).toBe(true);
    expect(config.rule_files.some((g) => glob(g).test(rulesMount.target.replace(/\.rules\.yml$/, ".rules.test.yml")))).toBe(false);
    // promtool checks the config with the rule files where the container has them (here: in a temporary folder).
    const dir = mkdtempSync(join(tmpdir(), "prometheus-config-"));
    writeFileSync(join(dir, "secretary-watch.rules.yml"), read("grafana/prometheus/secretary-watch.rules.yml"));
    const local = { ...config, rule_files: config.rule_files.map((g) => join(dir, g.split("/").at(-1)!)) };
    writeFileSync(join(dir, "prometheus.yml"), YAML.stringify(local));
    const r = promtool(["check", "config", join(dir, "prometheus.yml")]);
    expect(r.stdout + r.stderr).toContain("SUCCESS: 1 rule files found");
    expect(r.status).toBe(0);
  });

  it("when Grafana starts, then it provisions the Prometheus service as data source and the dashboard from the mounted folder, and opens it at home", () => {
    const grafana = service("grafana");
    const ds = YAML.parse(read("grafana/provisioning/datasources/prometheus.yaml")) as { datasources: Array<{ url: string }> };
    expect(ds.datasources[0]!.url).toBe(`http://prometheus:${ports(service("prometheus"))[0]!.container}`);
    expect(mountOf(grafana, "./grafana/provisioning/datasources")?.target).toBe("/etc/grafana/provisioning/datasources");
    expect(mountOf(grafana, "./grafana/provisioning/dashboards")?.target).toBe("/etc/grafana/provisioning/dashboards");
    const providers = YAML.parse(read("grafana/provisioning/dashboards/secretary-watch.yaml")) as { providers: Array<{ options: { path: string } }> };
    const dashboards = mountOf(grafana, "./grafana/dashboards")!;
    expect(providers.providers[0]!.options.path).toBe(dashboards.target);
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? "";
    expect(home.startsWith(`${dashboards.target}/`)).toBe(true);
    expect(existsSync(join(ROOT, "grafana/dashboards", home.slice(dashboards.target.length + 1)))).toBe(true);
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe("Viewer");
  });
});
