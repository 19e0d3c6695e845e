import type { BotStatus } from "./model.ts";
import type { AlertState } from "./alerts/state-machine.ts";
import type { OutboxEntry } from "./alerts/outbox.ts";
import type { Silence } from "./alerts/silences.ts";
import type { StoredBot } from "./fleet.ts";
import type { StateData } from "./store/state-store.ts";
import type { StateRepositories } from "./store/repositories.ts";

/**
 * What secretary-watch keeps in its state store, slice by slice. Each record type lives with its
 * owner; the store knows them only as JSON (store/state-file.ts), so it imports none of them.
 */
export interface WatchState {
  results: BotStatus;
  alerts: AlertState;
  outbox: OutboxEntry;
  silences: Silence;
  bots: StoredBot;
}

/** The service's state store, whatever its engine. */
export type WatchStore = StateRepositories<WatchState>;

/** The service's state file, as it is on disk. */
export type WatchStateData = StateData<WatchState>;
