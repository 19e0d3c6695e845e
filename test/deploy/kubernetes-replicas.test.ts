/**
 * deploy/kubernetes/secretary-watch-replicas.yaml, parsed (no cluster here): the replicated form, a
 * Deployment of equal replicas on a PostgreSQL. Checked against the StatefulSet of shards beside it
 * (the same hardening), against itself (selectors, Secret and ConfigMap references) and against the
 * Prometheus job of deploy/kubernetes/prometheus.yml, whose relabelling is applied to the pods here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseConfig } from "../../src/config/load.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE = "deploy/kubernetes/secretary-watch-replicas.yaml";
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const objects = (path: string): any[] => YAML.parseAllDocuments(read(path)).map((d) => d.toJS());

const docs = objects(FILE);
const one = (kind: string, name?: string) => {
  const found = docs.filter((d) => d?.kind === kind && (name === undefined || d.metadata.name === name));
  expect(found.length, `${kind} ${name ?? ""}`).toBe(1);
  return found[0];
};
const deployment = one("Deployment");
const pod = deployment.spec.template;
const container = pod.spec.containers.find((c: any) => c.name === "secretary-watch");
const statefulSet = objects("deploy/kubernetes/secretary-watch.yaml").find((d) => d?.kind === "StatefulSet");
const shardContainer = statefulSet.spec.template.spec.containers.find((c: any) => c.name === "secretary-watch");

/** Whether a label selector's matchLabels select the given labels. */
const selects = (selector: { matchLabels: Record<string, string> }, labels: Record<string, string>) =>
  Object.keys(selector.matchLabels).length > 0 && Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);

/** The ConfigMap's config.yaml: raw, and through the real loader with the environment the pod gets. */
const configText = one("ConfigMap", "secretary-watch").data["config.yaml"] as string;
const rawConfig = YAML.parse(configText);
const envFromSecrets = Object.assign({}, ...container.envFrom.map((e: any) => one("Secret", e.secretRef.name).stringData));
const secretKeyRefs = Object.fromEntries(
  container.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => [e.name, one("Secret", e.valueFrom.secretKeyRef.name).stringData[e.valueFrom.secretKeyRef.key]]),
);
const plainEnv = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
const podEnv: Record<string, string> = { ...envFromSecrets, ...secretKeyRefs, ...plainEnv };
// The loader refuses a non-empty store.url until the PostgreSQL engine lands: the rest of the config is
// checked with the URL empty.
const config = parseConfig(configText, { ...podEnv, SECRETARY_WATCH_DATABASE_URL: "" }, FILE);

/** The header's `kubectl -n NS apply -l '!LABEL' -f FILE` and its `kubectl create secret generic NAME` lines. */
const header = read(FILE).split("\n").filter((l) => l.startsWith("#")).join("\n");
const applyCommand = /kubectl -n (\S+) apply -l '!([^']+)' -f deploy\/kubernetes\/secretary-watch-replicas\.yaml/.exec(header)!;
const createdSecrets = [...header.matchAll(/kubectl -n (\S+) create secret generic (\S+)/g)].map((m) => ({ namespace: m[1], name: m[2] }));

describe("the replicated Kubernetes form", () => {
  it("when it is applied as its header says, then the Secrets created first are the ones the pods read, and the file's placeholders leave them alone", () => {
    expect(applyCommand).not.toBeNull();
    const [, namespace, placeholder] = applyCommand;
    const applied = docs.filter((d) => d.metadata.labels?.[placeholder!] === undefined);
    expect(applied.map((d) => d.kind).sort()).toEqual(["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"]);
    const referenced = new Set([...container.envFrom.map((e: any) => e.secretRef.name), ...container.env.flatMap((e: any) => e.valueFrom?.secretKeyRef?.name ?? [])]);
    expect(createdSecrets.map((s) => s.name).sort()).toEqual([...referenced].sort());
    for (const s of createdSecrets) expect(s.namespace).toBe(namespace);
  });

  it("when it is applied, then it runs a Deployment of 3 replicas, replaced one at a time, beside the StatefulSet of shards it leaves in place", () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(["ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Secret", "Service"]);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } });
    expect(selects(deployment.spec.selector, pod.metadata.labels)).toBe(true);
    // The same image as the shards, started without --shard: the replicas claim shards by lease.
    expect(container.image).toBe(shardContainer.image);
    expect(container.args).toEqual(["start"]);
    expect(statefulSet).toBeDefined();
  });

  it("when a pod runs, then it has the StatefulSet's hardening and resources: non-root, read-only root, no privilege escalation", () => {
    expect(pod.spec.securityContext).toEqual(statefulSet.spec.template.spec.securityContext);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toEqual(shardContainer.securityContext);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.resources).toEqual(shardContainer.resources);
    expect(container.resources.limits.memory).toBeDefined();
  });

  it("when the kubelet probes a pod, then readiness asks /readyz and liveness /healthz on the container's http port", () => {
    expect(container.ports).toEqual([{ name: "http", containerPort: config.server.port }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.livenessProbe).toEqual(shardContainer.livenessProbe);
  });

  it("when a pod starts, then the database URL and the secret key come from a Secret key by key, and the config holds neither", () => {
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    for (const name of ["SECRETARY_WATCH_DATABASE_URL", "SECRETARY_WATCH_SECRET"]) {
      const ref = env[name]?.valueFrom?.secretKeyRef;
      expect(ref, name).toBeDefined();
      expect(env[name].value, name).toBeUndefined();
      // The Secret named is in the file and has the key.
      expect(one("Secret", ref.name).stringData[ref.key], `${name}: ${ref.name}/${ref.key}`).toEqual(expect.any(String));
    }
    expect(new URL(podEnv.SECRETARY_WATCH_DATABASE_URL!).protocol).toBe("postgres:");
    expect(rawConfig.store).toEqual({ url: "${SECRETARY_WATCH_DATABASE_URL}", secretKey: "${SECRETARY_WATCH_SECRET}" });
    expect(configText).not.toMatch(/postgres(ql)?:\/\//);
    expect(config.store.secretKey).toBe(podEnv.SECRETARY_WATCH_SECRET);
    // With the real URL the config is the same, bar store.url, which the loader accepts as given.
    const real = parseConfig(configText, podEnv, "real-env.yaml");
    expect(real.store.url).toBe(podEnv.SECRETARY_WATCH_DATABASE_URL);
    expect({ ...real, store: { ...real.store, url: "" } }).toEqual(config);
    // Every ${VAR} the config references is set in the pod: the loader above would have named a missing one.
    expect(config.server.adminToken).toBe(podEnv.SECRETARY_WATCH_ADMIN_TOKEN);
  });

  it("when the config is loaded, then it has more shards than replicas and no shard index, and the pods keep no state of their own", () => {
    expect(rawConfig.shard).toEqual({ count: config.shard.count });
    expect(config.shard.count).toBeGreaterThan(deployment.spec.replicas);
    // A dead replica's shards spread evenly over the survivors.
    expect(config.shard.count % (deployment.spec.replicas - 1)).toBe(0);
    expect(rawConfig.store.path).toBeUndefined();
    // No emptyDir, no PersistentVolumeClaim, no volumeClaimTemplates: the config is the only volume.
    expect(deployment.spec.volumeClaimTemplates).toBeUndefined();
    expect(pod.spec.volumes).toEqual([{ name: "config", configMap: { name: "secretary-watch" } }]);
    expect(container.volumeMounts).toEqual([{ name: "config", mountPath: "/etc/secretary-watch", readOnly: true }]);
    expect(plainEnv.SECRETARY_WATCH_CONFIG).toBe("/etc/secretary-watch/config.yaml");
  });

  it("when a pod is stopped, then its grace period outlasts the sweeps' 10 s and the lease release", () => {
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  it("when nodes are drained or die, then the budget keeps all but one replica and the scheduler prefers one replica per node", () => {
    const pdb = one("PodDisruptionBudget");
    expect(selects(pdb.spec.selector, pod.metadata.labels)).toBe(true);
    const allowedDown = pdb.spec.maxUnavailable ?? deployment.spec.replicas - pdb.spec.minAvailable;
    expect(allowedDown).toBe(1);
    const [term] = pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).toBe("kubernetes.io/hostname");
    expect(selects(term.podAffinityTerm.labelSelector, pod.metadata.labels)).toBe(true);
    expect(term.weight).toBeGreaterThan(0);
  });

  it("when the admin API or the page is asked through the Service, then any replica answers it", () => {
    const service = one("Service");
    expect(service.spec.clusterIP).toBeUndefined();
    expect(service.spec.type).toBe("ClusterIP");
    expect(selects({ matchLabels: service.spec.selector }, pod.metadata.labels)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: "http", port: config.server.port, targetPort: "http" }]);
  });

  it("when Prometheus discovers the pods with the example job, then it keeps every replica and scrapes its /metrics", () => {
    const prometheus = YAML.parse(read("deploy/kubernetes/prometheus.yml"));
    const job = prometheus.scrape_configs.find((j: any) => j.job_name === "secretary-watch");
    // The namespace the file is applied to (its header) is one the job discovers.
    const namespace = applyCommand[1];
    expect(job.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: [namespace] } }]);
    // The meta labels Prometheus gives a discovered pod, from its labels and annotations.
    const meta: Record<string, string> = { __meta_kubernetes_pod_ip: "10.0.0.7", __meta_kubernetes_pod_name: "secretary-watch-abc" };
    for (const [kind, values] of [["label", pod.metadata.labels], ["annotation", pod.metadata.annotations]] as const)
      for (const [k, v] of Object.entries(values as Record<string, string>)) meta[`__meta_kubernetes_pod_${kind}_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`] = v;
    const value = (r: any) => r.source_labels.map((l: string) => meta[l] ?? "").join(r.separator ?? ";");
    const keeps = job.relabel_configs.filter((r: any) => r.action === "keep");
    expect(keeps.length).toBeGreaterThan(0);
    for (const r of keeps) expect(new RegExp(`^(?:${r.regex})$`).test(value(r)), r.source_labels.join()).toBe(true);
    const address = job.relabel_configs.find((r: any) => r.target_label === "__address__");
    expect(value(address).replace(new RegExp(`^(?:${address.regex})$`), address.replacement)).toBe(`10.0.0.7:${container.ports[0].containerPort}`);
    expect(pod.metadata.annotations["prometheus.io/path"]).toBe("/metrics");
  });
});
