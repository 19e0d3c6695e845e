/**
 * docker-compose.production.yml, parsed (no Docker engine here): the user's bots, no sandbox and no
 * demo, and the Prometheus rules' alerts routed through Alertmanager to a receiver. promtool checks the
 * Prometheus config and amtool the Alertmanager config and where each rule's alert is routed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { ensureDebianPackage } from "../support/debian.ts";
import { prometheusBinaries, promtool } from "../support/prometheus.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  [key: string]: unknown;
}
const compose = YAML.parse(read("docker-compose.production.yml")) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const mounts = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(":");
    return { source: source!, target: target!, bind: /^[./]/.test(source!), readOnly: mode === "ro" };
  });
const containerPort = (s: Service) => Number(String(s.ports![0]).split(":").at(-1));
const mountTo = (s: Service, target: string) => mounts(s).find((m) => m.target === target);

function amtool(args: string[]): { status: number | null; out: string; stdout: string } {
  const binary = ensureDebianPackage("prometheus-alertmanager", "/usr/bin/amtool");
  const r = spawnSync(binary, args, { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

describe("docker-compose.production.yml", () => {
  beforeAll(() => void prometheusBinaries(), 300_000);

  it("when it is parsed, then it runs secretary-watch, Prometheus, Alertmanager and Grafana on pinned images, and neither the sandbox nor the demo", () => {
    expect(Object.keys(services).sort()).toEqual(["alertmanager", "grafana", "prometheus", "secretary-watch"]);
    for (const [name, s] of Object.entries(services)) {
      if (s.build === undefined) expect(s.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)+$/);
      expect(s.command ?? [], name).not.toContain("sandbox");
      expect(s.command ?? [], name).not.toContain("demo");
      expect(Object.keys(s.environment ?? {}), name).not.toContain("SECRETARY_WATCH_DEMO");
    }
    expect(services["secretary-watch"]!.build).toBe(".");
    // Every bind mount but the user's own config exists in the repository; named volumes are declared.
    for (const [name, s] of Object.entries(services))
      for (const m of mounts(s))
        if (m.bind && m.source !== "./config/secretary-watch.yaml") expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
        else if (!m.bind) expect(Object.keys(compose.volumes ?? {}), `${name}: ${m.source}`).toContain(m.source);
  });

  it("when secretary-watch starts, then it reads the user's config, mounted read-only where SECRETARY_WATCH_CONFIG points, and keeps its state in a volume", () => {
    const sw = services["secretary-watch"]!;
    const config = mountTo(sw, sw.environment!.SECRETARY_WATCH_CONFIG!);
    expect(config).toEqual({ source: "./config/secretary-watch.yaml", target: "/etc/secretary-watch/config.yaml", bind: true, readOnly: true });
    expect(mountTo(sw, "/var/lib/secretary-watch")).toMatchObject({ bind: false });
    // The conventional local config is the user's: git does not track it.
    expect(read(".gitignore")).toMatch(/^\/?config\/secretary-watch\.yaml$/m);
  });

  it("when Prometheus starts, then promtool accepts its config, which scrapes secretary-watch, loads the rules and alerts through the stack's Alertmanager", () => {
    const prom = services.prometheus!;
    const configMount = mountTo(prom, "/etc/prometheus/prometheus.yml")!;
    const rulesMount = mountTo(prom, "/etc/prometheus/rules/secretary-watch.rules.yml")!;
    expect(rulesMount).toMatchObject({ source: "./grafana/prometheus/secretary-watch.rules.yml", readOnly: true });
    const config = YAML.parse(read(configMount.source)) as {
      rule_files: string[];
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual([`alertmanager:${containerPort(services.alertmanager!)}`]);
    expect(config.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`secretary-watch:${containerPort(services["secretary-watch"]!)}`]);
    const dir = mkdtempSync(join(tmpdir(), "prometheus-production-"));
    writeFileSync(join(dir, "secretary-watch.rules.yml"), read(rulesMount.source));
    writeFileSync(join(dir, "prometheus.yml"), YAML.stringify({ ...config, rule_files: [join(dir, "*.rules.yml")] }));
    const r = promtool(["check", "config", join(dir, "prometheus.yml")]);
    expect(r.stdout + r.stderr).toContain("SUCCESS: 1 rule files found");
    expect(r.status).toBe(0);
  });

  it("when Alertmanager starts, then amtool accepts its config, and every alert rule, SecretaryWatchGone above all, is routed to a receiver that tells someone", () => {
    const am = services.alertmanager!;
    const configMount = mountTo(am, am.command!.find((c) => c.startsWith("--config.file="))!.split("=")[1]!)!;
    const file = join(ROOT, configMount.source);
    const check = amtool(["check-config", file]);
    expect(check.out).toContain("SUCCESS");
    expect(check.status).toBe(0);

    const receivers = new Map(
      (YAML.parse(read(configMount.source)) as { receivers: Array<{ name: string; [k: string]: unknown }> }).receivers.map((r) => [r.name, r]),
    );
    const rules = (YAML.parse(read("grafana/prometheus/secretary-watch.rules.yml")) as { groups: Array<{ rules: Array<{ alert?: string; labels?: { severity?: string } }> }> }).groups
      .flatMap((g) => g.rules)
      .filter((r) => r.alert);
    expect(rules.map((r) => r.alert)).toContain("SecretaryWatchGone");
    for (const rule of rules) {
      const routed = amtool(["config", "routes", "test", `--config.file=${file}`, `alertname=${rule.alert}`, `severity=${rule.labels!.severity}`]);
      const name = routed.stdout.trim().split("\n").at(-1)!.trim();
      const receiver = receivers.get(name);
      expect(receiver, `${rule.alert} → ${name}`).toBeDefined();
      // A receiver with no *_configs swallows the alert.
      expect(Object.keys(receiver!).filter((k) => k.endsWith("_configs")).length, `${rule.alert} → ${name} tells no one`).toBeGreaterThan(0);
      if (rule.labels!.severity === "critical") expect(name, rule.alert).toBe("ops-pager");
    }
  }, 60_000);
});
