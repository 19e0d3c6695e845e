import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackage } from "./debian.ts";
import { startLoopbackDaemon, type RunningDaemon } from "./loopback-daemon.ts";


export type RunningAlertmanager = RunningDaemon;

/** Starts Debian's Alertmanager on loopback with a no-op receiver and clustering off. */
export async function startAlertmanager(): Promise<RunningAlertmanager> {
  const binary = ensureDebianPackage("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager");
  const dir = mkdtempSync(join(tmpdir(), "alertmanager-"));
  const config = join(dir, "alertmanager.yml");
  writeFileSync(config, "route: { receiver: none }\nreceivers: [ { name: none } ]\n");
  return startLoopbackDaemon("alertmanager", binary, (port) => [
    `--config.file=${config}`,
    `--storage.path=${dir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
}
