/**
 * What of a bot's result is its verdict: health, since, and each check's status, advice and, unless the
 * check passed, its message. A result whose verdict did not change is not written at once (README,
 * "Storage and history"): the sweep's times, durations and observations (`checkedAt`, a check's `at`,
 * `durationMs`, `latencyMs`, `observed`) and a passing check's message ("3 updates pending", a count that
 * moves on every sweep of a busy bot) are bookkeeping: memory has them at once, the disk with the next
 * verdict change.
 */
export function verdictOf(result: unknown): string {
  const r = result as { health?: unknown; since?: unknown; checks?: unknown };
  const checks = Array.isArray(r.checks)
    ? r.checks.map((c: Record<string, unknown>) => {
        const { at: _at, durationMs: _d, latencyMs: _l, message, ...verdict } = c;
        return c.status === "ok" ? verdict : { ...verdict, message };
      })
    : r.checks;
  return JSON.stringify({ health: r.health, since: r.since, checks });
}
