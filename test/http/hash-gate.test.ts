import bcrypt from "bcrypt";
import { describe, expect, it } from "vitest";
import { Access } from "../../src/http/access.ts";
import { BusyLoginError, HashGate } from "../../src/http/hash-gate.ts";
import { LoginLimiter } from "../../src/http/login-limiter.ts";

const PASSWORD = "gate pass";
const server = () => ({ adminToken: "", adminTokens: {}, auth: { users: { ops: bcrypt.hashSync(PASSWORD, 4) } } });

describe("the password hash gate", () => {
  it("when 20 checks arrive at once, then one runs at a time, 8 wait, and the other 11 are refused at once", async () => {
    const gate = new HashGate(8);
    let running = 0;
    let most = 0;
    const check = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return true;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => gate.run(check)));
    console.log(`hash gate: most at once ${most}; passed ${outcomes.filter((o) => o.status === "fulfilled").length}; refused ${outcomes.filter((o) => o.status === "rejected").length}`);
    expect(most).toBe(1);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(9);
    expect(outcomes.filter((o) => o.status === "rejected").every((o) => (o as PromiseRejectedResult).reason instanceof BusyLoginError)).toBe(true);
    // Drained: the next check runs at once.
    expect(await gate.run(check)).toBe(true);
  });

  it("when a check throws, then the gate still hands over to the next", async () => {
    const gate = new HashGate(2);
    const failing = gate.run(() => Promise.reject(new Error("hash failed")));
    const next = gate.run(() => Promise.resolve("next"));
    await expect(failing).rejects.toThrow("hash failed");
    expect(await next).toBe("next");
  });

  it("when a check may not hash, then only a login already known good passes", async () => {
    const access = new Access(server());
    await expect(access.checkUser("ops", PASSWORD, false)).rejects.toBeInstanceOf(BusyLoginError);
    expect(await access.checkUser("ops", PASSWORD)).toBe(true);
    expect(await access.checkUser("ops", PASSWORD, false)).toBe(true);
    await expect(access.checkUser("ops", "wrong", false)).rejects.toBeInstanceOf(BusyLoginError);
  });
});

describe("the login limiter's checks of a blocked address", () => {
  it("when an address is blocked, then one of its passwords is checked a second; unblocked, every one", () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ maxFailures: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.mayCheck("10.0.0.1"))).toEqual([true, true, true]);
    for (let i = 0; i < 3; i++) limiter.fail("10.0.0.1");
    expect([1, 2, 3].map(() => limiter.mayCheck("10.0.0.1"))).toEqual([true, false, false]);
    now += 999;
    expect(limiter.mayCheck("10.0.0.1")).toBe(false);
    now += 1;
    expect(limiter.mayCheck("10.0.0.1")).toBe(true);
    expect(limiter.mayCheck("10.0.0.2")).toBe(true);
    // The window over, the address is no longer blocked.
    now += 60_000;
    expect([1, 2].map(() => limiter.mayCheck("10.0.0.1"))).toEqual([true, true]);
  });
});
