import bcrypt from "bcrypt";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_WORLD } from "../../src/demo.ts";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { loadWorldFile } from "../../src/sandbox/world.ts";
import type { Service } from "../../src/service.ts";
import { launchChromium, type Chromium } from "../support/browser.ts";
import { startTestService, until } from "../support/service-harness.ts";

const PASSWORD = "page password 9c8b";

describe("the status page behind basic auth, in headless Chromium", () => {
  let sandbox: Sandbox;
  let service: Service;
  const browsers: Chromium[] = [];

  const js = <T>(page: Page, expression: string) => page.evaluate<T>(expression);

  beforeAll(async () => {
    sandbox = await startSandbox({ world: loadWorldFile(DEMO_WORLD) });
    ({ service } = await startTestService({
      telegram: { apiRoot: sandbox.url, timeout: "1s" },
      server: { auth: { users: { ops: bcrypt.hashSync(PASSWORD, 10) } } },
      schedule: { interval: "1s" },
      bots: [
        { name: "anna", token: "7000001:demo-anna-Xk2v9", username: "anna_secretary_bot", owner: { id: 123456789 }, businessConnectionId: "bc-anna", probeChats: [555000111] },
        { name: "revoked", token: "7000002:demo-revoked-Qm4t1", username: "revoked_secretary_bot", owner: { id: 100000002 } },
      ],
    }));
  }, 120_000);
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await service?.stop();
    await sandbox?.close();
  });

  it("when the browser has no credentials, then the page answers 401", async () => {
    const browser = await launchChromium();
    browsers.push(browser);
    const page = await browser.context.newPage();
    // Playwright answers the challenge with no credentials, so the navigation fails (no page renders); the 401 is what came.
    const answered = page.waitForResponse(`${service.url}/`);
    await expect(page.goto(`${service.url}/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const res = await answered;
    expect(res.status()).toBe(401);
    expect(await res.headerValue("www-authenticate")).toBe('Basic realm="secretary-watch", charset="UTF-8"');
  });

  it("when the browser logs in, then the page renders the fleet and its refresh script keeps reading /status", async () => {
    const browser = await launchChromium({ httpCredentials: { username: "ops", password: PASSWORD } });
    browsers.push(browser);
    const page = await browser.context.newPage();
    const res = await page.goto(`${service.url}/?refresh=2`);
    expect(res?.status()).toBe(200);
    const names = await js<string[]>(page, `[...document.querySelectorAll("#bots > section.bot")].map((s) => s.id.slice(4)).sort()`);
    expect(names).toEqual(["anna", "revoked"]);
    // Two refreshes after the first, each a good read of /status (a refused one would show the stale notice).
    await until("two refreshes", async () => Number(await js<string>(page, "document.body.dataset.refreshes ?? '0'")) >= 2, 15_000);
    expect(await js<boolean>(page, `document.querySelector("#stale").hidden`)).toBe(true);
    expect(await js<string>(page, `document.querySelector("#live").innerText`)).toContain("refreshes every 2 s");
  });
});
