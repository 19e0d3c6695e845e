/**
 * The floor: one Bot API request over `node:http` with a keep-alive agent, its answer read whole and
 * `JSON.parse`d, nothing else (shared/reference/client-cost.md). What a request costs a Node process at
 * the least; the bench's yardstick (raw-loop.ts) and the client path's (client-path.ts).
 */
import http from "node:http";

/** As many sockets as the monitor's transport may open (src/telegram/transport.ts). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: "lifo" });

export function floorRequest(url: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
