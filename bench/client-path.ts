/**
 * `node bench/client-path.ts [requests] [rounds]`: what each layer of the monitor's Bot API client
 * costs per request, in one process, against the stand-in (the sandbox in a child process, 5 ms per
 * answer), 32 requests in flight: the floor (floor-client.ts), the transport alone (node:http with the
 * envelope check and the body cap), and BotClient.call (deadline, back-off, result validation,
 * redaction, the metrics' observation) as the checks call it. Contenders alternate within each round;
 * the figures are CPU µs per request, median (min–max) over rounds. The methods are one sweep's mix.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Metrics } from "../src/metrics/metrics.ts";
import { BotClient } from "../src/telegram/client.ts";
import { createTransport } from "../src/telegram/transport.ts";
import { floorRequest } from "./floor-client.ts";
import { fleet, sweepStages, type PlannedRequest } from "./fleet.ts";
import { median } from "./table.ts";

const requests = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const IN_FLIGHT = 32;
const BOTS = 1_000;

const standIn = fork(fileURLToPath(new URL("stand-in.ts", import.meta.url)), [String(BOTS), "5"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const url = await new Promise<string>((resolve) => standIn.on("message", (m: { url?: string }) => m.url && resolve(m.url)));

/** Every request of one sweep of each bot, flattened: the mix the monitor sends. */
const work = fleet(BOTS).flatMap((bot) => sweepStages(bot).flat().map((r) => ({ bot, r })));
const transport = createTransport();
const settings = { apiRoot: url, environment: "prod" as const, timeoutMs: 10_000 };
const metrics = new Metrics("bench");
const clients = new Map(fleet(BOTS).map((b) => [b.token, new BotClient(b.token, settings, transport, metrics.observeRequest)]));

const bare = new Map(fleet(BOTS).map((b) => [b.token, new BotClient(b.token, settings, transport, () => undefined)]));

type Send = (token: string, r: PlannedRequest) => Promise<unknown>;
const contenders: [string, Send][] = [
  ["node:http floor", (token, r) => floorRequest(`${url}/bot${token}/${r.method}`, JSON.stringify(r.payload))],
  ["transport (envelope, cap)", async (token, r) => (await transport(`${url}/bot${token}/${r.method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r.payload) })).json()],
  ["transport.post", (token, r) => transport.post(`${url}/bot${token}/${r.method}`, JSON.stringify(r.payload), 10_000)],
  ["BotClient.call, no metrics", (token, r) => bare.get(token)!.call(r.method, r.payload).catch(() => undefined)],
  ["BotClient.call", (token, r) => clients.get(token)!.call(r.method, r.payload).catch(() => undefined)],
];

async function measure(send: Send, n: number): Promise<number> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) {
        const { bot, r } = work[next++ % work.length]!;
        await send(bot.token, r);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const figures = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
for (const [, send] of contenders) await measure(send, 2_000);
for (let round = 0; round < rounds; round++) for (const [name, send] of contenders) figures.get(name)!.push(await measure(send, requests));
const floor = median(figures.get("node:http floor")!);
process.stdout.write(`CPU µs per request, ${requests.toLocaleString("en-US")} requests × ${rounds} rounds, ${IN_FLIGHT} in flight\n`);
for (const [name, xs] of figures)
  process.stdout.write(`${name.padEnd(28)} ${median(xs).toFixed(1).padStart(7)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})  × floor ${(median(xs) / floor).toFixed(2)}\n`);
transport.close();
standIn.disconnect();
