import { createHash, timingSafeEqual } from "node:crypto";
import bcrypt from "bcrypt";
import type { Config } from "../config/schema.ts";
import { ADMIN_TOKEN_NAME } from "./admin-audit.ts";
import { BusyLoginError, HashGate } from "./hash-gate.ts";

type ServerAccess = Pick<Config["server"], "adminToken" | "adminTokens" | "auth"> & { metricsToken?: string | undefined };

/** Checked when the user is unknown, so a wrong name costs what a wrong password does (cost 10, the cost README tells to use). */
const DUMMY_HASH = "$2b$10$gENDZ8URcWjs9vxmLdR3neJ5TJP7WOjZvl.Nv.0CKj/aWkoaSqSiu";
/** Good logins remembered, as Prometheus' exporter-toolkit does: bcrypt is slow on purpose, a page refreshes often. */
const MAX_CACHED = 1_000;

interface Settings {
  /** [audit name, SHA-256 of the token]: equal lengths for timingSafeEqual. */
  readonly tokens: ReadonlyArray<readonly [string, Buffer]>;
  readonly users: ReadonlyMap<string, string>;
  /** The bearer token /metrics needs, or undefined when it is open. */
  readonly metricsToken: string | undefined;
  /** user + "\0" + SHA-256(password) of logins that passed against these users; dropped with them. */
  readonly good: Map<string, true>;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Who may use the HTTP server now (README, "Access"): the admin API's bearer tokens and the basic-auth
 * users of the page and /status. The admin auth and the basic auth read it on every request, so
 * `update` (a config reload) takes effect at the next one. It validates nothing: the config loader did.
 */
export class Access {
  private settings: Settings;
  /** One bcrypt compare at a time, whatever the settings: a flood of wrong passwords costs one core at most. */
  private readonly gate = new HashGate();

  constructor(server: ServerAccess) {
    this.settings = Access.settingsOf(server);
  }

  /** Swaps every token and user at once (one reference): a request sees the old settings or the new, never a mix. */
  update(server: ServerAccess): void {
    this.settings = Access.settingsOf(server);
  }

  get adminEnabled(): boolean {
    return this.settings.tokens.length > 0;
  }

  get metricsToken(): string | undefined {
    return this.settings.metricsToken;
  }

  get usersEnabled(): boolean {
    return this.settings.users.size > 0;
  }

  /**
   * The name of the admin token `given` is, or undefined. Every token is compared, in constant time,
   * without stopping at a match: how long it takes does not tell which one matched.
   */
  adminTokenName(given: string): string | undefined {
    const wanted = digest(given);
    let matched: string | undefined;
    for (const [name, token] of this.settings.tokens) if (timingSafeEqual(wanted, token) && matched === undefined) matched = name;
    return matched;
  }

  /**
   * Whether `user` and `password` log in. An unknown user is compared against a dummy hash, as slow as a
   * known one. With `mayHash` false only a login already known good passes; anything else needing the
   * slow hash is refused with BusyLoginError (a flooding address: login-limiter.ts' mayCheck).
   */
  async checkUser(user: string, password: string, mayHash = true): Promise<boolean> {
    const settings = this.settings;
    const key = `${user}\0${digest(password).toString("hex")}`;
    if (settings.good.has(key)) return true;
    if (!mayHash) throw new BusyLoginError();
    const hash = settings.users.get(user);
    // bcrypt reads $2y$ (htpasswd -B) as $2b$: the same algorithm under PHP's name.
    const ok = await this.gate.run(() => bcrypt.compare(password, (hash ?? DUMMY_HASH).replace(/^\$2y\$/, "$2b$")));
    if (!ok || hash === undefined) return false;
    if (settings.good.size >= MAX_CACHED) settings.good.delete(settings.good.keys().next().value!);
    settings.good.set(key, true);
    return true;
  }

  private static settingsOf(server: ServerAccess): Settings {
    const named: [string, string][] = Object.entries(server.adminTokens);
    if (server.adminToken) named.unshift([ADMIN_TOKEN_NAME, server.adminToken]);
    return {
      tokens: named.map(([name, token]) => [name, digest(token)] as const),
      users: new Map(Object.entries(server.auth.users)),
      metricsToken: server.metricsToken || undefined,
      good: new Map(),
    };
  }
}
