/**
 * What of a bot's result is its verdict: health, since, and each check's status, message and advice.
 * A result whose verdict did not change is not written at once (README, "Storage and history"): the
 * sweep's times, durations and observations (`checkedAt`, a check's `at`, `durationMs`, `latencyMs`,
 * `observed`) are bookkeeping, written in the store's batch at most once a minute.
 */
export function verdictOf(result: unknown): string {
  const r = result as { health?: unknown; since?: unknown; checks?: unknown };
  const checks = Array.isArray(r.checks)
    ? r.checks.map((c: Record<string, unknown>) => {
        const { at: _at, durationMs: _d, latencyMs: _l, ...verdict } = c;
        return verdict;
      })
    : r.checks;
  return JSON.stringify({ health: r.health, since: r.since, checks });
}
