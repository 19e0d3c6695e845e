import { nameHash } from "./runner/scheduler.ts";

export interface Shard {
  index: number;
  count: number;
}

/** True when this instance (shard `index` of `count`) watches the bot: a stable partition by name. */
export function inShard(name: string, shard: Shard): boolean {
  return shard.count <= 1 || nameHash(name) % shard.count === shard.index;
}

/** Parses `--shard i/n`. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new Error(`--shard: expected i/n with 0 <= i < n, got "${text}"`);
  return { index, count };
}
