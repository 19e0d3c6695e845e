import { describe, expect, it } from "vitest";
import { foldIncidents, incidentId, withNotifications, type AlertHistoryEvent } from "../../src/history/incidents.ts";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const M = 60_000;
const fail = [{ check: "connection", status: "fail", message: "Secretary connection disabled" }];
const ev = (minute: number, kind: AlertHistoryEvent["kind"], severity: AlertHistoryEvent["severity"], sinceMinute: number, extra: Partial<AlertHistoryEvent> = {}): AlertHistoryEvent => ({
  at: T0 + minute * M,
  key: "anna",
  kind,
  severity,
  since: T0 + sinceMinute * M,
  ...extra,
});

describe("incidents folded from alert events", () => {
  it("when the monitor restarts mid-incident and records the firing again, then it is one incident, not two", () => {
    const incidents = foldIncidents([
      ev(3, "fired", "degraded", 0, { checks: fail }),
      // kill -9 here; the restarted monitor loads the same alert state (same since) and records it again.
      ev(20, "fired", "degraded", 0),
      ev(25, "escalated", "down", 0),
      ev(40, "resolved", "down", 0),
    ]);
    expect(incidents).toEqual([
      { id: incidentId("anna", T0), bot: "anna", start: T0, firedAt: T0 + 3 * M, end: T0 + 40 * M, worst: "down", checks: fail, notifications: [], silenced: false },
    ]);
  });

  it("when an alert fires, resolves and fires again, then they are two incidents, in order", () => {
    const incidents = foldIncidents([ev(50, "fired", "down", 48), ev(3, "fired", "degraded", 0), ev(10, "resolved", "degraded", 0)]);
    expect(incidents.map((i) => [i.start, i.end, i.worst])).toEqual([
      [T0, T0 + 10 * M, "degraded"],
      [T0 + 48 * M, null, "down"],
    ]);
  });

  it("when an alert fired muted or was silenced while firing, then its incident says silenced", () => {
    expect(foldIncidents([ev(3, "fired", "down", 0, { muted: true })])[0]?.silenced).toBe(true);
    expect(foldIncidents([ev(3, "fired", "down", 0), ev(5, "silenced", "down", 0)])[0]?.silenced).toBe(true);
  });

  it("when a severity comes lower after an escalation, then the incident keeps the worst", () => {
    expect(foldIncidents([ev(3, "escalated", "down", 0), ev(9, "reminded", "degraded", 0)])[0]?.worst).toBe("down");
  });

  it("when a new streak fires while the previous incident never saw its resolution, then that one ends where the new one starts", () => {
    const incidents = foldIncidents([ev(3, "fired", "down", 0), ev(63, "fired", "down", 60)]);
    expect(incidents.map((i) => i.end)).toEqual([T0 + 60 * M, null]);
  });

  it("when notification attempts name incidents, then each incident lists its own, in time order", () => {
    const [incident] = foldIncidents([ev(3, "fired", "down", 0)]);
    const attempts = [
      { incidentId: incident!.id, channel: "mail", kind: "firing", at: T0 + 5 * M, result: "sent" },
      { incidentId: incident!.id, channel: "telegram", kind: "firing", at: T0 + 4 * M, result: "failed" },
      { incidentId: "other@x", channel: "mail", kind: "firing", at: T0, result: "sent" },
      { incidentId: null, channel: "mail", kind: "test", at: T0, result: "sent" },
    ];
    expect(withNotifications([incident!], attempts)[0]?.notifications.map((n) => n.channel)).toEqual(["telegram", "mail"]);
  });
});
