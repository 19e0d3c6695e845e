import type { Config } from "../config/schema.ts";
import type { Logger } from "pino";
import type { TestAccount } from "./types.ts";

/** `testAccount.session: "sandbox:<user id>"` selects a simulated account of the sandbox at telegram.apiRoot. */
const SANDBOX_SESSION = /^sandbox:(\d+)$/;

/**
 * The test account for live checks, from `testAccount`: a simulated sandbox user for the demo and
 * tests, otherwise a real Telegram user over MTProto (mtcute). Loaded lazily so deployments that do
 * not use the round-trip check never load the MTProto client.
 */
export async function createTestAccount(config: Config, logger?: Logger): Promise<TestAccount | undefined> {
  const { session, apiId, apiHash } = config.testAccount;
  if (!session) return undefined;
  const sandbox = SANDBOX_SESSION.exec(session);
  if (sandbox) {
    const { createSandboxTestAccount } = await import("./sandbox.ts");
    return createSandboxTestAccount({ sandboxUrl: config.telegram.apiRoot, userId: Number(sandbox[1]) });
  }
  const { createMtcuteTestAccount } = await import("./mtcute.ts");
  return createMtcuteTestAccount({
    session,
    apiId,
    apiHash,
    environment: config.telegram.environment,
    // mtcute logs to stdout by default, where our JSON logs go: route it through pino.
    ...(logger && { log: (level, message) => logger[level]({ component: "mtcute" }, message) }),
  });
}
