import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { ensureDebianPackage } from "./debian.ts";

/** Debian's chromium: playwright-core never downloads a browser here. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Debian chromium (installed first when missing) with a fresh user-data dir, removed on close.
 * `javaScriptEnabled: false` shows what a person with scripts off gets; `httpCredentials` logs in to basic auth.
 */
export async function launchChromium(
  options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number }; isMobile?: boolean; httpCredentials?: { username: string; password: string } } = {},
): Promise<Chromium> {
  ensureDebianPackage("chromium", CHROMIUM);
  const userDataDir = mkdtempSync(join(tmpdir(), "secretary-watch-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    ...(options.isMobile !== undefined && { isMobile: options.isMobile, hasTouch: options.isMobile }),
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    ...(options.httpCredentials && { httpCredentials: options.httpCredentials }),
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A path under test-artifacts/ (created). */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
