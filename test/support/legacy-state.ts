/**
 * A state file of the earlier format (lowdb, the release before the database), written by the engine that
 * release used: StateStore, which remains the writer of that format (src/store/state-store.ts).
 */
import { StateStore } from "../../src/store/state-store.ts";
import type { WatchState, WatchStateData } from "../../src/watch-state.ts";

export type LegacySlices = Omit<WatchStateData, "version">;

/** Writes `slices` to a state file at `path` through StateStore, as the earlier release's service did, and closes it. */
export async function writeLegacyStateFile(path: string, slices: Partial<LegacySlices>): Promise<void> {
  const store = await StateStore.open<WatchState>({ path, flushIntervalMs: 10 });
  for (const [name, bot] of Object.entries(slices.bots ?? {})) void store.bots.put(name, bot);
  for (const [name, id] of Object.entries(slices.connections ?? {})) void store.connections.put(name, id);
  for (const [name, result] of Object.entries(slices.results ?? {})) void store.results.put(name, result);
  for (const [key, state] of Object.entries(slices.alerts ?? {})) void store.alerts.put(key, state);
  if (slices.silences?.length) void store.silences.add(slices.silences);
  if (slices.outbox?.length) void store.outbox.add(slices.outbox);
  await store.close();
}
