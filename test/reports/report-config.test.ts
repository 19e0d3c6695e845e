import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

/** The channels every case below may name. */
const CHANNELS = {
  "ops-mail": { type: "email", url: "smtp://smtp.example.com:587", from: "watch@example.com", to: ["ops@example.com"] },
  hook: { type: "webhook", url: "http://127.0.0.1:9/hook" },
  pager: { type: "pagerduty", routingKey: "R0UT1NGKEY0123456789ABCDEF012345" },
  am: { type: "alertmanager", url: "http://127.0.0.1:9093" },
  creators: { type: "owner" },
};

const WEEKLY = { name: "weekly", cron: "0 9 * * MON", timezone: "UTC", window: "7d", channels: ["ops-mail"] };

function problemsOf(reports: unknown): string[] {
  try {
    parseConfig(JSON.stringify({ alerts: { channels: CHANNELS }, reports }), {}, "test config");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("the config loaded without problems");
}

describe("reports in the config", () => {
  it("when a report is written as the README shows, then it loads with its window in milliseconds, and timezone and window have defaults", () => {
    const config = parseConfig(JSON.stringify({ alerts: { channels: CHANNELS }, reports: [WEEKLY, { name: "daily", cron: "30 8 * * *", channels: ["hook", "ops-mail"] }] }), {}, "test config");
    expect(config.reports).toEqual([
      { name: "weekly", cron: "0 9 * * MON", timezone: "UTC", window: 7 * 86_400_000, channels: ["ops-mail"] },
      { name: "daily", cron: "30 8 * * *", timezone: "UTC", window: 7 * 86_400_000, channels: ["hook", "ops-mail"] },
    ]);
    expect(parseConfig("{}", {}, "test config").reports).toEqual([]);
  });

  const TABLE: { rule: string; reports: unknown; problems: string[] }[] = [
    {
      rule: "a cron node-cron cannot read",
      reports: [{ ...WEEKLY, cron: "0 25 * * MON" }],
      problems: ['reports[0].cron: expected a node-cron expression such as "0 2 * * SUN", got "0 25 * * MON": 25 is a invalid expression for hour'],
    },
    {
      rule: "a time zone that is no IANA name",
      reports: [{ ...WEEKLY, timezone: "Mars/Olympus" }],
      problems: ['reports[0].timezone: unknown time zone "Mars/Olympus" (an IANA name such as Europe/Berlin, or UTC)'],
    },
    { rule: "a window under an hour", reports: [{ ...WEEKLY, window: "30m" }], problems: ["reports[0].window: expected a duration from 1h to 90d, got 30m"] },
    { rule: "a window over 90 days", reports: [{ ...WEEKLY, window: "91d" }], problems: ["reports[0].window: expected a duration from 1h to 90d, got 91d"] },
    {
      rule: "a channel that is not configured",
      reports: [{ ...WEEKLY, channels: ["ops-mial"] }],
      problems: ['reports[0].channels[0]: no channel named "ops-mial" under alerts.channels (configured: ops-mail, hook, pager, am, creators)'],
    },
    {
      rule: "channels that take no reports",
      reports: [{ ...WEEKLY, channels: ["pager", "am", "creators"] }],
      problems: [
        'reports[0].channels[0]: channel "pager" is of type pagerduty, which takes no reports: PagerDuty opens an incident for every event: a digest would page someone',
        'reports[0].channels[1]: channel "am" is of type alertmanager, which takes no reports: Alertmanager takes alerts that fire and resolve, not digests',
        'reports[0].channels[2]: channel "creators" is of type owner, which takes no reports: an owner channel tells creators only what they must fix',
      ],
    },
    { rule: "no channel at all", reports: [{ ...WEEKLY, channels: [] }], problems: [expect.stringMatching(/^reports\[0\]\.channels: /) as unknown as string] },
    { rule: "two reports of one name", reports: [WEEKLY, WEEKLY], problems: ['reports[1].name: duplicate report name "weekly"'] },
    { rule: "a name with capitals", reports: [{ ...WEEKLY, name: "Weekly" }], problems: [expect.stringMatching(/^reports\[0\]\.name: expected a name of lowercase letters/) as unknown as string] },
  ];

  for (const { rule, reports, problems } of TABLE) {
    it(`when a report has ${rule}, then the error names its key`, () => {
      expect(problemsOf(reports)).toEqual(problems);
    });
  }
});
