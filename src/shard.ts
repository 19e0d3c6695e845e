import { nameHash } from "./runner/scheduler.ts";

export interface Shard {
  index: number;
  count: number;
}

const MASK_64 = (1n << 64n) - 1n;

/**
 * The shard (0 … count-1) that watches the bot named `name`: jump consistent hashing (Lamping and
 * Veach, 2014) keyed by the name's hash. Every bot lands in exactly one shard, the same one in every
 * process and release for the same count, the shards get equal shares, and when a StatefulSet grows
 * from n to n+1 shards only the bots that move to the new shard change hands (1/(n+1) of them), so
 * the other shards keep their bots' alert state.
 */
export function shardOf(name: string, count: number): number {
  if (count <= 1) return 0;
  let key = BigInt(nameHash(name));
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & MASK_64;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return b;
}

/** True when this instance (shard `index` of `count`) watches the bot: a stable partition by name. */
export function inShard(name: string, shard: Shard): boolean {
  return shard.count <= 1 || shardOf(name, shard.count) === shard.index;
}

/** Parses `--shard i/n`. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new Error(`--shard: expected i/n with 0 <= i < n, got "${text}"`);
  return { index, count };
}
