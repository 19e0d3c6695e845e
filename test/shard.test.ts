import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { inShard, parseShard, shardOf } from "../src/shard.ts";

/** mulberry32: a small seeded PRNG, so every run checks the same "random" fleets. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-";

/** A fleet of distinct valid bot names (config: lowercase letters, digits, _ and -). */
function randomFleet(seed: number, size: number): string[] {
  const random = rng(seed);
  const names = new Set<string>();
  while (names.size < size) {
    const length = 1 + Math.floor(random() * 40);
    let name = "";
    for (let i = 0; i < length; i++) name += NAME_CHARS[Math.floor(random() * NAME_CHARS.length)];
    names.add(name);
  }
  return [...names];
}

/** How platforms name bots in practice: one prefix, a running number. */
const sequentialFleet = (size: number) => Array.from({ length: size }, (_, i) => `creator-${i}`);

const FLEETS = [
  ...Array.from({ length: 20 }, (_, seed) => randomFleet(seed + 1, 1 + Math.floor(rng(seed + 100)() * 500))),
  sequentialFleet(1000),
  ["anna"],
  [],
];

describe("shards", () => {
  it("when a fleet is split into 1 to 16 shards, then every bot is in exactly one shard", () => {
    for (const fleet of FLEETS)
      for (let count = 1; count <= 16; count++)
        for (const name of fleet) {
          const owners = Array.from({ length: count }, (_, index) => index).filter((index) => inShard(name, { index, count }));
          expect(owners, `${name} in ${count} shards`).toEqual([shardOf(name, count)]);
        }
  });

  it("when the shard count is unchanged, then every call gives the same assignment", () => {
    for (const fleet of FLEETS.slice(0, 5))
      for (let count = 1; count <= 16; count++) {
        const first = fleet.map((name) => shardOf(name, count));
        expect(fleet.map((name) => shardOf(name, count))).toEqual(first);
      }
  });

  it("when another process assigns the same fleet, then it gives the same shards", () => {
    const fleet = [...randomFleet(42, 200), ...sequentialFleet(200)];
    const here = fleet.map((name) => [2, 3, 7, 16].map((count) => shardOf(name, count)));
    const script = `
      import { shardOf } from ${JSON.stringify(fileURLToPath(new URL("../src/shard.ts", import.meta.url)))};
      const fleet = JSON.parse(process.argv[1]);
      process.stdout.write(JSON.stringify(fleet.map((name) => [2, 3, 7, 16].map((count) => shardOf(name, count)))));
    `;
    const there = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(fleet)], { encoding: "utf8" }));
    expect(there).toEqual(here);
  });

  it("when the hash is computed, then it gives the values of earlier releases (a rollout keeps every bot in its shard)", () => {
    const pinned = Object.fromEntries(["anna", "revoked", "creator-0", "creator-1", "creator-9999"].map((name) => [name, [2, 3, 4, 10].map((count) => shardOf(name, count))]));
    expect(pinned).toEqual(PINNED);
  });

  it("when 10,000 bots are split into 2 to 16 shards, then each shard gets its share within 15 %", () => {
    for (const fleet of [sequentialFleet(10_000), randomFleet(7, 10_000)])
      for (let count = 2; count <= 16; count++) {
        const sizes = new Array<number>(count).fill(0);
        for (const name of fleet) sizes[shardOf(name, count)]!++;
        const share = fleet.length / count;
        for (const size of sizes) expect(Math.abs(size - share) / share, `${count} shards: ${sizes.join(", ")}`).toBeLessThan(0.15);
      }
  });

  it("when a StatefulSet grows from n to n+1 shards, then only bots moving to the new shard change hands", () => {
    const fleet = [...sequentialFleet(3000), ...randomFleet(9, 3000)];
    for (let count = 1; count < 16; count++) {
      let moved = 0;
      for (const name of fleet) {
        const before = shardOf(name, count);
        const after = shardOf(name, count + 1);
        if (after !== before) {
          expect(after, `${name}: ${count} → ${count + 1} shards`).toBe(count);
          moved++;
        }
      }
      // About 1/(n+1) of the fleet moves, all of it to the new shard.
      expect(moved / fleet.length).toBeGreaterThan(0.7 / (count + 1));
      expect(moved / fleet.length).toBeLessThan(1.3 / (count + 1));
    }
  });

  it("when --shard is given, then i/n is parsed and anything else is refused with the expected form", () => {
    expect(parseShard("0/1")).toEqual({ index: 0, count: 1 });
    expect(parseShard(" 2/4 ")).toEqual({ index: 2, count: 4 });
    for (const bad of ["4/4", "1/0", "-1/2", "1", "a/b", "1/2/3", ""])
      expect(() => parseShard(bad), bad).toThrow(`--shard: expected i/n with 0 <= i < n, got "${bad}"`);
  });

  it("when there is one shard, then it watches every bot", () => {
    for (const name of FLEETS[0]!) expect(inShard(name, { index: 0, count: 1 })).toBe(true);
  });
});

describe("the Kubernetes example", () => {
  const docs = YAML.parseAllDocuments(readFileSync(new URL("../deploy/kubernetes/secretary-watch.yaml", import.meta.url), "utf8")).map((d) => d.toJS());
  const statefulSet = docs.find((d) => d?.kind === "StatefulSet");

  it("when the StatefulSet starts its pods, then each pod's ordinal is its shard index out of the replica count", () => {
    expect(statefulSet).toBeDefined();
    const container = statefulSet.spec.template.spec.containers.find((c: any) => c.name === "secretary-watch");
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    expect(env.SHARD_INDEX.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['apps.kubernetes.io/pod-index']");
    expect(Number(env.SHARD_COUNT.value)).toBe(statefulSet.spec.replicas);
    expect(container.args).toEqual(["start", "--shard", "$(SHARD_INDEX)/$(SHARD_COUNT)"]);
  });

  it("when Prometheus discovers the pods, then it scrapes every shard's /metrics", () => {
    const pod = statefulSet.spec.template;
    expect(pod.metadata.annotations["prometheus.io/scrape"]).toBe("true");
    expect(pod.metadata.annotations["prometheus.io/port"]).toBe("9464");
    expect(pod.spec.containers[0].ports).toContainEqual(expect.objectContaining({ containerPort: 9464, name: "http" }));
  });

  it("when Prometheus uses the example scrape job, then it keeps the annotated pods and labels each target with its shard", () => {
    const prometheus = YAML.parse(readFileSync(new URL("../deploy/kubernetes/prometheus.yml", import.meta.url), "utf8"));
    const job = prometheus.scrape_configs.find((j: any) => j.job_name === "secretary-watch");
    expect(job.kubernetes_sd_configs[0].role).toBe("pod");
    const shard = job.relabel_configs.find((r: any) => r.target_label === "shard");
    expect(shard.source_labels).toEqual(["__meta_kubernetes_pod_label_apps_kubernetes_io_pod_index"]);
    expect(job.relabel_configs.filter((r: any) => r.action === "keep").map((r: any) => r.regex)).toEqual(["secretary-watch", "true"]);
  });

  it("when a shard's bots fail, then alerts go through the alertmanager channel", () => {
    const configMap = docs.find((d) => d?.kind === "ConfigMap");
    const config = YAML.parse(configMap.data["config.yaml"]);
    const channels = Object.values(config.alerts.channels) as Array<{ type: string }>;
    expect(channels.map((c) => c.type)).toEqual(["alertmanager"]);
  });
});

/** Shards of a few names as of the first sharded release (jump consistent hash of the name's hash). */
const PINNED: Record<string, number[]> = {
  anna: [0, 0, 0, 8],
  revoked: [1, 2, 2, 5],
  "creator-0": [1, 1, 1, 1],
  "creator-1": [0, 0, 0, 6],
  "creator-9999": [0, 2, 2, 4],
};
