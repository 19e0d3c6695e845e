import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertmanagerChannel } from "../../src/alerts/channels/alertmanager.ts";
import type { AlertMessage } from "../../src/alerts/types.ts";
import { startAlertmanager, type RunningAlertmanager } from "../support/alertmanager.ts";

type AmAlert = { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string }; endsAt: string };

function message(kind: AlertMessage["kind"], severity: AlertMessage["severity"], extra: Partial<AlertMessage> = {}): AlertMessage {
  const now = new Date();
  return {
    key: "anna",
    scope: "bot",
    kind,
    bot: { name: "anna", username: "anna_secretary_bot", labels: { tier: "vip" } },
    severity,
    health: kind === "resolved" ? "healthy" : severity,
    since: new Date(now.getTime() - 120_000).toISOString(),
    at: now.toISOString(),
    activeUntil: new Date(now.getTime() + 8 * 3_600_000).toISOString(),
    summary: `anna (@anna_secretary_bot) is ${severity}`,
    checks: [{ check: "token", status: "fail", message: "Telegram answered 401 Unauthorized", remediation: "Copy the token from @BotFather", since: now.toISOString() }],
    ...extra,
  };
}

describe("the alertmanager channel against a real Alertmanager", () => {
  let am: RunningAlertmanager;
  const alerts = async (): Promise<AmAlert[]> => (await fetch(`${am.url}/api/v2/alerts?filter=bot%3D%22anna%22`)).json() as Promise<AmAlert[]>;

  beforeAll(async () => {
    am = await startAlertmanager();
  }, 320_000);
  afterAll(async () => {
    await am?.stop();
  });

  it("when an alert fires, escalates and resolves, then Alertmanager shows it active with our labels, then the down one only, then none", async () => {
    const channel = createAlertmanagerChannel("am", { type: "alertmanager", url: am.url, minHealth: "degraded", bots: {} }, { timeoutMs: 5000 });
    await channel.send(message("firing", "degraded"), AbortSignal.timeout(5000));
    const firing = await alerts();
    expect(firing).toHaveLength(1);
    expect(firing[0]!.labels).toMatchObject({ alertname: "SecretaryBotUnhealthy", bot: "anna", username: "anna_secretary_bot", severity: "degraded", tier: "vip" });
    expect(firing[0]!.status.state).toBe("active");
    expect(firing[0]!.annotations.description).toContain("401 Unauthorized");

    await channel.send(message("firing", "down", { escalatedFrom: "degraded" }), AbortSignal.timeout(5000));
    const escalated = await alerts();
    expect(escalated.map((a) => a.labels.severity)).toEqual(["down"]);

    const resolvedAt = new Date().toISOString();
    await channel.send(message("resolved", "down", { endsAt: resolvedAt, activeUntil: resolvedAt }), AbortSignal.timeout(5000));
    expect(await alerts()).toEqual([]);
  });
});
