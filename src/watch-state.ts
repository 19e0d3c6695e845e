import type { BotStatus } from "./model.ts";
import type { AlertState } from "./alerts/state-machine.ts";
import type { OutboxEntry } from "./alerts/outbox.ts";
import type { Silence } from "./alerts/silences.ts";
import type { StoredBot } from "./fleet.ts";
import type { StateData, StateStore } from "./store/state-store.ts";

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

/** The service's state store. */
export type WatchStore = StateStore<WatchState>;

/** The service's state file, as it is on disk. */
export type WatchStateData = StateData<WatchState>;
