/**
 * `after` in `alerts.channels.<name>` (issue 17): a duration on every operators' channel type, absent or 0s
 * for at once; a bad value is refused naming the key; the owner channel refuses it, saying why.
 */
import { describe, expect, it } from "vitest";
import { channelDeps, createChannels } from "../../src/alerts/channels/index.ts";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

const withChannels = (channels: string) => `bots: []\nalerts:\n  channels:\n${channels}\n`;
const parse = (channels: string) => parseConfig(withChannels(channels), {}, "escalation.yaml");
const problem = (channels: string): string => {
  try {
    parse(channels);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("the config was accepted");
};

describe("alerts.channels.<name>.after", () => {
  it("when a channel sets after: 15m, then it is read as 15 minutes and the channel built from it escalates after them; one without it hears at once", () => {
    const config = parse(`    pager: { type: pagerduty, routingKey: 0123456789abcdef0123456789abcdef, minHealth: down, after: 15m }\n    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }\n    mail: { type: email, url: "smtp://127.0.0.1:2525", from: a@example.com, to: [b@example.com], after: 0s }`);
    expect(config.alerts.channels.pager).toMatchObject({ after: 15 * 60_000, minHealth: "down" });
    expect(config.alerts.channels.hook).not.toHaveProperty("after");
    const channels = createChannels(config.alerts.channels, channelDeps(config));
    expect(channels.map((c) => [c.name, c.after])).toEqual([
      ["pager", 15 * 60_000],
      ["hook", undefined],
      ["mail", undefined],
    ]);
  });

  it("when after is not a duration or out of range, then the config is refused naming the key and what a duration looks like", () => {
    expect(problem(`    hook: { type: webhook, url: "http://127.0.0.1:9/hook", after: 15 }`)).toContain("alerts.channels.hook.after: expected a duration such as 30s, 10m or 4h, got 15");
    expect(problem(`    hook: { type: webhook, url: "http://127.0.0.1:9/hook", after: 31d }`)).toContain("alerts.channels.hook.after: expected a duration from 0s to 30d, got 31d");
  });

  it("when the owner channel sets after, then the config is refused: it writes to profile owners, escalation is for operators' channels", () => {
    expect(problem(`    creators: { type: owner, after: 5m }`)).toContain("alerts.channels.creators.after: the owner channel writes to each bot's profile owner and cannot escalate");
    expect(parse(`    creators: { type: owner }`).alerts.channels.creators).toMatchObject({ type: "owner" });
  });
});
