/**
 * Starts the sandbox: the simulated Bot API and its control API (/_sandbox) on one loopback HTTP server,
 * and on the same port the world's webhook endpoints over TLS (webhook-endpoints.ts). One port serves
 * both, told apart by a connection's first byte (a TLS handshake begins with 0x16, an HTTP request never
 * does): whatever can reach the Bot API can reach the endpoints, as the monitor's `connectTo` says.
 */
import { createServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import express from "express";
import { botApiRouter } from "./bot-api.ts";
import { controlRouter } from "./control.ts";
import { World } from "./world.ts";
import { WebhookEndpoints } from "./webhook-endpoints.ts";
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
  const endpoints = new WebhookEndpoints(world);
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    route(socket, server, endpoints);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => {
      // e.g. EADDRINUSE: nothing is left running (the demo then tries another port).
      world.close();
      endpoints.close();
      reject(err);
    };
    front.once("error", failed);
    front.listen(opts.port ?? 0, host, () => {
      front.off("error", failed);
      resolve();
    });
  });
  const { port } = front.address() as AddressInfo;
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
        endpoints.close();
        front.close(() => resolve());
        // Hung requests and keep-alive sockets would hold close() forever.
        server.closeAllConnections();
        // And connections that never said which they are.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** Hands a connection to the endpoints (TLS) or to the HTTP server, by its first byte. */
function route(socket: Socket, http: ReturnType<typeof createServer>, endpoints: WebhookEndpoints): void {
  socket.on("error", () => socket.destroy());
  socket.once("data", (first: Buffer) => {
    socket.pause();
    socket.unshift(first);
    (first[0] === 0x16 ? endpoints.server : http).emit("connection", socket);
    process.nextTick(() => socket.resume());
  });
}
