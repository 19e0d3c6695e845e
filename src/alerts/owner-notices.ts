import type { OwnerFix } from "../check-model.ts";
import type { BotStatus } from "../model.ts";
import type { BotIdentity } from "./compose.ts";
import { watchedMs, type AlertPolicy, type AlertState, type FiringAlert } from "./state-machine.ts";
import type { AlertKind, AlertMessage, OwnerTold } from "./types.ts";

/**
 * What the `owner` channel tells a bot's profile owner, decided per problem, beside the bot's alert
 * (README, "Alerts": the owner channel). The bot's alert says when to speak at all: only while it fires,
 * has been announced, and is not muted. Within that, each problem the owner can fix (a check's
 * `ownerFixes`) is told once when it appears, again every `repeatInterval` while it lasts, and gets a
 * note when it is fixed. A problem whose check did not say (skipped behind a failing token or Business
 * Mode, unknown, or failing for a reason of its own) is neither repeated nor called fixed: nothing was
 * learned about it, and the bot may not be able to send. What was told lives in the firing alert's state, so a restart
 * neither repeats it nor forgets the note owed.
 */

export interface OwnerStepInput {
  previous: AlertState | undefined;
  /** The bot's alert state after this sweep's step. */
  state: AlertState;
  status: BotStatus;
  bot: BotIdentity;
  muted: boolean;
  policy: AlertPolicy;
  /** Whether some channel takes `message` (an owner channel whose selector matches the bot). */
  reaches: (message: AlertMessage) => boolean;
}

export interface OwnerStepResult {
  state: AlertState;
  messages: AlertMessage[];
}

/** Advances what the owner was told by one sweep. Pure, given `reaches`. */
export function ownerStep(input: OwnerStepInput): OwnerStepResult {
  const { previous, state, status, policy } = input;
  const before = previous?.firing?.ownerTold ?? {};
  const at = status.checkedAt;
  // Resolved: every problem still told is fixed now (the bot is healthy).
  if (!state.firing) {
    const firing = previous?.firing;
    if (!firing || !policy.sendResolved) return { state, messages: [] };
    return { state, messages: Object.values(before).map((told) => ownerMessage("resolved", told.fix, firing, input.bot, at)) };
  }
  const firing = state.firing;
  if (input.muted || firing.notified === null) return { state, messages: [] };

  const current = problemsOf(status);
  // A told problem is fixed only when its check says so: it passed, or it still names the owner's
  // problems but no longer this one. A check that failed for another reason (the connection id unknown)
  // says nothing of it.
  const settled = new Set(status.checks.filter((c) => c.status === "ok" || (c.ownerFixes?.length ?? 0) > 0).map((c) => c.check));
  const told: Record<string, OwnerTold> = {};
  const messages: AlertMessage[] = [];
  const tell = (kind: AlertKind, check: string, fix: OwnerFix) => {
    const message = ownerMessage(kind, fix, firing, input.bot, at);
    if (!input.reaches(message)) return false;
    messages.push(message);
    told[fix.problem] = firing.stepMs ? { check, at, fix, stepMs: firing.stepMs } : { check, at, fix };
    return true;
  };

  for (const [problem, was] of Object.entries(before)) {
    const now = current.get(problem);
    if (now) {
      const due = watchedMs(firing, was.at, was.stepMs, new Date(at)) >= policy.repeatIntervalMs;
      if (!due || !tell("reminder", now.check, now.fix)) told[problem] = { ...was, fix: now.fix };
    } else if (!settled.has(was.check)) {
      told[problem] = was;
    } else if (policy.sendResolved) {
      const note = ownerMessage("resolved", was.fix, firing, input.bot, at);
      if (input.reaches(note)) messages.push(note);
    }
  }
  for (const [problem, { check, fix }] of current) if (!before[problem]) tell("firing", check, fix);

  const unchanged = JSON.stringify(told) === JSON.stringify(before);
  if (unchanged) return { state, messages };
  const next: FiringAlert = { ...firing };
  if (Object.keys(told).length > 0) next.ownerTold = told;
  else delete next.ownerTold;
  return { state: { ...state, firing: next }, messages };
}

/** The owner-fixable problems of a sweep, each once, with the first check (in sweep order) that saw it. */
function problemsOf(status: BotStatus): Map<string, { check: string; fix: OwnerFix }> {
  const problems = new Map<string, { check: string; fix: OwnerFix }>();
  for (const result of status.checks) {
    if (result.status !== "fail" && result.status !== "warn") continue;
    for (const fix of result.ownerFixes ?? []) if (!problems.has(fix.problem)) problems.set(fix.problem, { check: result.check, fix });
  }
  return problems;
}

/** The message to the owner about one problem; only owner channels take it (scope "owner"). */
function ownerMessage(kind: AlertKind, fix: OwnerFix, firing: FiringAlert, bot: BotIdentity, at: string): AlertMessage {
  return {
    key: bot.name,
    scope: "owner",
    kind,
    bot: { name: bot.name, username: bot.username, labels: { ...bot.labels } },
    severity: firing.severity,
    health: kind === "resolved" ? "healthy" : firing.severity,
    since: firing.since,
    at,
    ...(kind === "resolved" && { endsAt: at }),
    activeUntil: at,
    summary: kind === "resolved" ? fix.fixed : fix.issue,
    checks: [],
    owner: fix,
  };
}
