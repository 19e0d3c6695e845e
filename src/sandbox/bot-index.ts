/**
 * Lookups by token and by connection id that do not scan the fleet on every Bot API call (at 50,000 bots
 * the scans were most of a call's cost). The world's `bots` array stays the truth: the index is rebuilt
 * when the array is replaced or changes length, a hit is checked against it, and a miss falls back to
 * the scan, so a test that edits a bot in place (a new token) still gets what `find` would give.
 */
import type { BotState, ConnectionState } from "./world-state.ts";

type Found = { bot: BotState; connection: ConnectionState };

export class BotIndex {
  #of: BotState[] | undefined;
  #length = -1;
  #byToken = new Map<string, BotState>();
  #byConnection = new Map<string, Found>();

  #fresh(bots: BotState[]): void {
    if (this.#of === bots && this.#length === bots.length) return;
    this.#of = bots;
    this.#length = bots.length;
    this.#byToken.clear();
    this.#byConnection.clear();
    // First one wins, as Array.find would.
    for (const bot of bots) {
      if (!this.#byToken.has(bot.token)) this.#byToken.set(bot.token, bot);
      for (const connection of bot.connections) if (!this.#byConnection.has(connection.id)) this.#byConnection.set(connection.id, { bot, connection });
    }
  }

  byToken(bots: BotState[], token: string): BotState | undefined {
    this.#fresh(bots);
    const hit = this.#byToken.get(token);
    if (hit && hit.token === token) return hit;
    const found = bots.find((b) => b.token === token);
    if (found) this.#length = -1;
    return found;
  }

  byConnection(bots: BotState[], id: string): Found | undefined {
    this.#fresh(bots);
    const hit = this.#byConnection.get(id);
    if (hit && hit.connection.id === id && hit.bot.connections.includes(hit.connection)) return hit;
    for (const bot of bots) {
      const connection = bot.connections.find((c) => c.id === id);
      if (connection) {
        this.#length = -1;
        return { bot, connection };
      }
    }
    return undefined;
  }
}
