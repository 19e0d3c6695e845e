/**
 * Which channel types take a report (README, "Reports"). Every type does but these, each for its
 * reason; the config names the reason when a report lists such a channel.
 */
export const REPORTS_REFUSED: Readonly<Record<string, string>> = {
  pagerduty: "PagerDuty opens an incident for every event: a digest would page someone",
  alertmanager: "Alertmanager takes alerts that fire and resolve, not digests",
  owner: "an owner channel tells creators only what they must fix",
};

/** Why channels of `type` take no report, or undefined when they take one. */
export function reportRefusal(type: string): string | undefined {
  return Object.hasOwn(REPORTS_REFUSED, type) ? REPORTS_REFUSED[type] : undefined;
}
