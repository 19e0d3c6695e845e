/**
 * Who may use the HTTP server (README, "Access"): named admin tokens beside the one `adminToken`, and
 * the users of the basic auth on the page and /status. Checked here, once, at load; the HTTP side
 * (src/http/access.ts) trusts what it is given. No message ever quotes a token or a hash.
 */
import { z } from "zod";
import { expected } from "./fields.ts";

/** The audit name of `server.adminToken` (src/http/admin-audit.ts ADMIN_TOKEN_NAME says the same). */
const SINGLE_TOKEN_NAME = "admin";
const TOKEN_NAME = /^[a-z0-9_-]+$/;
/** RFC 7617: a user-id holds no colon; we keep to the characters people type in a login box. */
const USER_NAME = /^[A-Za-z0-9._@-]+$/;
/** A bcrypt hash with its cost: $2a$, $2b$ or $2y$ (htpasswd -B), cost 04–31, 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

export const adminTokens = z
  .record(z.string().regex(TOKEN_NAME, { error: expected('a token name of lowercase letters, digits, "_" and "-"') }), z.string().min(1, { error: "expected a non-empty token" }))
  .default({})
  .describe("Named bearer tokens of the admin API ({name: token}); the audit log names the token each change was made with");

export const auth = z
  .strictObject({
    users: z
      .record(
        z.string().regex(USER_NAME, { error: expected("a user name of letters, digits, '.', '_', '@' and '-'") }),
        z.string().regex(BCRYPT_HASH, { error: () => "expected a bcrypt hash with its cost, such as htpasswd -nbBC 10 ops 'password' prints ($2y$10$…)" }),
      )
      .default({})
      .describe("HTTP basic auth on the page, /status and history: {user: bcrypt hash}; empty: open"),
  })
  .describe("Who may read the page and /status");

interface AccessSettings {
  adminToken?: unknown;
  adminTokens?: unknown;
}

/** Tokens must be told apart (the audit log names one), and "admin" is the single token's name. */
export function serverAccessProblems(server: AccessSettings): { path: string[]; message: string }[] {
  const named = server.adminTokens && typeof server.adminTokens === "object" ? Object.entries(server.adminTokens as Record<string, unknown>) : [];
  const seen = new Map<string, string>();
  const single = typeof server.adminToken === "string" && server.adminToken !== "";
  if (single) seen.set(server.adminToken as string, "server.adminToken");
  const problems: { path: string[]; message: string }[] = [];
  for (const [name, token] of named) {
    if (name === SINGLE_TOKEN_NAME && single)
      problems.push({ path: ["adminTokens", name], message: `"${SINGLE_TOKEN_NAME}" is the audit name of server.adminToken; give this token another name` });
    if (typeof token !== "string" || token === "") continue;
    const first = seen.get(token);
    if (first) problems.push({ path: ["adminTokens", name], message: `the same token as ${first}` });
    else seen.set(token, `server.adminTokens.${name}`);
  }
  return problems;
}
