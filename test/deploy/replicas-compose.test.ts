/**
 * docker-compose.replicas.yml laid over docker-compose.yml, merged by Compose's rules (compose-merge.ts;
 * no Docker engine here): a PostgreSQL, secretary-watch as equal replicas on it with the demo, and
 * Prometheus scraping each replica. The replicas' config is checked against the one-process stack's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { substituteString } from "../../src/config/env.ts";
import { loadConfigFile, parseConfig } from "../../src/config/load.ts";
import { prometheusBinaries, promtool } from "../support/prometheus.ts";
import { mergeCompose, parseCompose } from "./compose-merge.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

const base = parseCompose(read("docker-compose.yml"));
const stack = mergeCompose(base, parseCompose(read("docker-compose.replicas.yml")));
const services = stack.services as Record<string, any>;
const replica = services["secretary-watch"];
const postgres = services.postgres;
/** A compose value as Compose interpolates it with nothing set in the shell: `${VAR:-default}` is the default. */
const interpolated = (value: string) => substituteString(value, {}).value;
const mounts = (s: any) =>
  ((s.volumes ?? []) as string[]).map((v) => {
    const [source, target, mode] = v.split(":");
    return { source: source!, target: target!, bind: /^[./]/.test(source!), readOnly: mode === "ro" };
  });
const dependsOn = (s: any): Record<string, string> => Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]: [string, any]) => [k, v.condition]));
const replicaEnv: Record<string, string> = Object.fromEntries(Object.entries(replica.environment as Record<string, string>).map(([k, v]) => [k, interpolated(String(v))]));

/** The replicas' mounted config: raw, and through the real loader with the database URL empty (refused until the PostgreSQL engine lands). */
const configMount = mounts(replica).find((m) => m.target === replicaEnv.SECRETARY_WATCH_CONFIG)!;
const configText = read(configMount.source);
const rawConfig = YAML.parse(configText);
const config = parseConfig(configText, { ...replicaEnv, SECRETARY_WATCH_DATABASE_URL: "" }, configMount.source);

describe("the Compose merge rules the test applies", () => {
  it("when a file is laid over another, then volumes merge by target, ports and environment add up, and !override and !reset replace and remove", () => {
    const a = parseCompose("services:\n  s:\n    volumes: [a:/x, b:/y]\n    ports: ['1:1']\n    environment: { A: '1' }\n    depends_on: [d]\n    command: [x, y]\n    labels: [l]\n");
    const b = parseCompose("services:\n  s:\n    volumes: [c:/y]\n    ports: ['2:2']\n    environment: [B=2]\n    depends_on: { e: { condition: service_healthy } }\n    command: [z]\n    labels: !reset []\n");
    expect(mergeCompose(a, b).services.s).toEqual({
      volumes: ["a:/x", "c:/y"],
      ports: ["1:1", "2:2"],
      environment: { A: "1", B: "2" },
      depends_on: { d: { condition: "service_started" }, e: { condition: "service_healthy" } },
      command: ["z"],
    });
    expect(mergeCompose(a, parseCompose("services:\n  s:\n    volumes: !override [c:/z]\n")).services.s.volumes).toEqual(["c:/z"]);
  });
});

describe("docker-compose.replicas.yml over docker-compose.yml", () => {
  beforeAll(() => void prometheusBinaries(), 300_000);

  it("when the stack starts, then a PostgreSQL 17 with its own volume and a pg_isready health check is up before the replicas", () => {
    expect(Object.keys(services).sort()).toEqual(["grafana", "mailpit", "postgres", "prometheus", "sandbox", "secretary-watch"]);
    expect(postgres.image).toMatch(/^postgres:17(\.\d+)*$/);
    expect(mounts(postgres)).toEqual([{ source: "postgres-data", target: "/var/lib/postgresql/data", bind: false, readOnly: false }]);
    expect(Object.keys(stack.volumes)).toContain("postgres-data");
    const test = postgres.healthcheck.test as string[];
    expect(test.slice(0, 2)).toEqual(["CMD", "pg_isready"]);
    // Over TCP, for the database the replicas use.
    expect(test).toEqual(expect.arrayContaining(["-h", "127.0.0.1", "-U", postgres.environment.POSTGRES_USER, "-d", postgres.environment.POSTGRES_DB]));
    expect(dependsOn(replica)).toEqual({ postgres: "service_healthy", sandbox: "service_healthy", mailpit: "service_started" });
  });

  it("when secretary-watch runs, then it runs as replicas of one service with no state volume and a host port each", () => {
    expect(replica.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(replica.container_name).toBeUndefined();
    // The config bind mount only: no volume at the state's path, nor anywhere else.
    expect(mounts(replica)).toEqual([{ source: "./deploy/compose/secretary-watch-replicas.yaml", target: "/etc/secretary-watch/config.yaml", bind: true, readOnly: true }]);
    const [ports] = replica.ports as string[];
    expect(replica.ports).toHaveLength(1);
    const [, first, last, container] = /^(\d+)-(\d+):(\d+)$/.exec(ports!)!;
    expect(Number(last) - Number(first) + 1).toBe(replica.deploy.replicas);
    expect(Number(container)).toBe(config.server.port);
  });

  it("when a replica connects, then its database URL names the postgres service, its user, password and database", () => {
    expect(rawConfig.store).toEqual({ url: "${SECRETARY_WATCH_DATABASE_URL}", secretKey: "${SECRETARY_WATCH_SECRET}" });
    const url = new URL(replicaEnv.SECRETARY_WATCH_DATABASE_URL!);
    const env = Object.fromEntries(Object.entries(postgres.environment as Record<string, string>).map(([k, v]) => [k, interpolated(v)]));
    expect([url.protocol, url.hostname, url.port]).toEqual(["postgres:", "postgres", "5432"]);
    expect([url.username, url.password, url.pathname]).toEqual([env.POSTGRES_USER, env.POSTGRES_PASSWORD, `/${env.POSTGRES_DB}`]);
    expect(config.store.secretKey).toBe(replicaEnv.SECRETARY_WATCH_SECRET);
    // With the real URL the config is the same, bar store.url, which the loader accepts as given.
    const real = parseConfig(configText, replicaEnv, "real-env.yaml");
    expect(real.store.url).toBe(replicaEnv.SECRETARY_WATCH_DATABASE_URL);
    expect({ ...real, store: { ...real.store, url: "" } }).toEqual(config);
    expect(config.store.secretKey).not.toBe("");
  });

  it("when the replicas' config is loaded, then it is the one-process stack's demo, sandbox and channels, with more shards than replicas and no index", () => {
    expect(rawConfig.shard).toEqual({ count: config.shard.count });
    expect(config.shard.count).toBeGreaterThan(replica.deploy.replicas);
    const single = loadConfigFile(join(ROOT, "deploy/compose/secretary-watch.yaml"), {});
    const { store: _s, shard: _sh, ...rest } = config;
    const { store: _s1, shard: _sh1, ...singleRest } = single;
    expect(rest).toEqual(singleRest);
    expect(config.telegram.apiRoot).toBe(`http://sandbox:${services.sandbox.command[services.sandbox.command.indexOf("--port") + 1]}`);
  });

  it("when Prometheus starts, then promtool accepts its config, which finds every replica through the service's DNS name", () => {
    const prom = services.prometheus;
    const configFile = mounts(prom).filter((m) => m.target === "/etc/prometheus/prometheus.yml");
    expect(configFile.map((m) => m.source)).toEqual(["./deploy/prometheus/prometheus.replicas.yml"]);
    const prometheus = YAML.parse(read(configFile[0]!.source));
    const jobs = prometheus.scrape_configs.filter((j: any) => j.job_name === "secretary-watch");
    expect(jobs).toHaveLength(1);
    // An A query answers one address per replica; a static target would reach one of them.
    expect(jobs[0].static_configs).toBeUndefined();
    expect(jobs[0].dns_sd_configs).toEqual([expect.objectContaining({ names: ["secretary-watch"], type: "A", port: config.server.port })]);
    const dir = mkdtempSync(join(tmpdir(), "prometheus-replicas-"));
    writeFileSync(join(dir, "secretary-watch.rules.yml"), read("grafana/prometheus/secretary-watch.rules.yml"));
    writeFileSync(join(dir, "prometheus.yml"), YAML.stringify({ ...prometheus, rule_files: [join(dir, "*.rules.yml")] }));
    const r = promtool(["check", "config", join(dir, "prometheus.yml")]);
    expect(r.stdout + r.stderr).toContain("SUCCESS: 1 rule files found");
    expect(r.status).toBe(0);
  });
});
