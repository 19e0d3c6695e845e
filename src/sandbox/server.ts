/**
 * Starts the sandbox: the simulated Bot API and its control API (/_sandbox) on one loopback HTTP server.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { botApiRouter } from "./bot-api.ts";
import { controlRouter } from "./control.ts";
import { World } from "./world.ts";
import type { WorldSpec } from "./world-schema.ts";

export type SandboxOptions = {
  world: WorldSpec;
  /** Default 127.0.0.1: the sandbox is for this machine only. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
};

export type Sandbox = {
  /** e.g. http://127.0.0.1:PORT, no trailing slash: use as the Bot API root. */
  url: string;
  port: number;
  world: World;
  close(): Promise<void>;
};

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const world = new World(opts.world);
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use("/_sandbox", controlRouter(world));
  app.use(botApiRouter(world));

  const server = createServer(app);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => {
      // e.g. EADDRINUSE: nothing is left running (the demo then tries another port).
      world.close();
      reject(err);
    };
    server.once("error", failed);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    world,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Ends account long polls and drops pending Secretary backend answers.
        world.close();
        server.close(() => resolve());
        // Hung requests and keep-alive sockets would hold close() forever.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
