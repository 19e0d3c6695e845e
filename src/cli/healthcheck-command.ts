import { loadConfigFile, resolveConfigPath } from "../config/load.ts";
import { DEMO_CONFIG } from "../demo.ts";
import { demoRequested } from "./load-effective-config.ts";

/**
 * `healthcheck [--config PATH]`: GET /healthz of the running service, on the port and host of the
 * config `start` finds (the demo's when there is none), for the image's HEALTHCHECK. Exit 0
 * on a 2xx answer, else 1 (Docker reads nothing else), with one line saying what it saw.
 */
export async function healthcheck(values: { config?: string | undefined }, timeoutMs = 4000): Promise<number> {
  let url: string;
  try {
    // The running service is the config's, or the demo's when there is none (`start` refuses that
    // in the image, so then the container runs `demo`). The demo's port does not depend on its sandbox.
    const found = demoRequested(process.env) ? undefined : resolveConfigPath({ flag: values.config, env: process.env, cwd: process.cwd() });
    const server =
      found && "path" in found ? loadConfigFile(found.path, process.env).server : loadConfigFile(DEMO_CONFIG, { SECRETARY_WATCH_SANDBOX_URL: "http://127.0.0.1:1" }).server;
    url = `http://${probeHost(server.host)}:${server.port}/healthz`;
  } catch (err) {
    process.stdout.write(`unhealthy: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    process.stdout.write(`${res.ok ? "healthy" : "unhealthy"}: ${url} answered ${res.status}\n`);
    return res.ok ? 0 : 1;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    process.stdout.write(`unhealthy: ${url}: ${cause}\n`);
    return 1;
  }
}

/** A server listening on every interface is asked on loopback; one bound to an address, there. */
function probeHost(host: string): string {
  if (host === "" || host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
