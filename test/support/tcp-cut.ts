import { createServer, connect, type Socket } from "node:net";

/**
 * A loopback TCP relay to `port` that can be cut: one replica's own way to the database, so that it
 * alone loses the database while the others keep it (a network partition). Cut, it drops every
 * connection and every new one at once, as a refused connection would.
 */
export interface TcpCut {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function tcpCut(port: number): Promise<TcpCut> {
  let isCut = false;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((inbound) => {
    track(inbound);
    if (isCut) return void inbound.destroy();
    const outbound = connect(port, "127.0.0.1");
    track(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("tcp relay: no port");
  return {
    port: address.port,
    cut: () => {
      isCut = true;
      for (const socket of open) socket.destroy();
    },
    restore: () => {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
