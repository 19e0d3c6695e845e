/**
 * The config keys a reload cannot apply: the process reads them once (listening socket, store, shards,
 * Telegram client, test account, the server's address and trusted proxies). A reload that changes one is refused by name and
 * changes nothing. A key covers everything under it, except the keys in LIVE_UNDER_RESTART_ONLY; to let
 * a key change live, take it off RESTART_ONLY or add it to the exceptions. A key the schema gains later
 * under a listed section is restart-only until said otherwise, so nothing is silently left unapplied.
 */
export const RESTART_ONLY: readonly string[] = ["telegram", "store", "shard", "testAccount", "server"];

/** Keys inside a restart-only section that a reload applies (README, "Reload"). */
export const LIVE_UNDER_RESTART_ONLY: readonly string[] = ["server.publicUrl", "server.adminToken", "server.adminTokens", "server.auth", "server.metricsToken"];

const covers = (key: string, path: string) => path === key || path.startsWith(`${key}.`);

export function restartOnly(path: string): boolean {
  return RESTART_ONLY.some((key) => covers(key, path)) && !LIVE_UNDER_RESTART_ONLY.some((key) => covers(key, path));
}
