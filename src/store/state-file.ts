import type { StateShapes } from "./repositories.ts";

export type { StateShapes } from "./repositories.ts";

/** The state file (version 1): everything the monitor keeps across restarts. */
export interface StateData<S extends StateShapes> {
  version: 1;
  /** Last sweep per bot, so /status is right straight after a restart. */
  results: Record<string, S["results"]>;
  /** Alert state per alert key (bot name, or "monitor"): firing alerts survive restarts. */
  alerts: Record<string, S["alerts"]>;
  /** Notifications not yet delivered: written here before the first attempt to send them. */
  outbox: S["outbox"][];
  /** Silences created through the admin API. */
  silences: S["silences"][];
  /** Bots registered through the admin API; their tokens sealed with store.secretKey. */
  bots: Record<string, S["bots"]>;
  /** Business connection ids recorded through the admin API (config bots too), by bot name. */
  connections: Record<string, string>;
}

export function emptyState<S extends StateShapes>(): StateData<S> {
  return { version: 1, results: {}, alerts: {}, outbox: [], silences: [], bots: {}, connections: {} };
}

/** The state read from `path`, every section there (files written before a section existed get it empty). */
export function stateFrom<S extends StateShapes>(read: StateData<S>, path: string | null): StateData<S> {
  if (read.version !== 1 || typeof read.results !== "object") {
    throw new Error(`state file ${String(path)}: not a secretary-watch state file (version ${String(read.version)})`);
  }
  return { ...emptyState<S>(), ...read };
}

/**
 * JSON.stringify of the state, in pieces: one per result (most of the file: one per bot), every
 * other section whole. Nothing builds the whole file as one string: the writer packs the pieces into
 * its buffer and asks for more only after each write, so the event loop runs in between. Results are
 * taken as they are when their piece is made (a bot's result is replaced, never changed in place).
 * Alert states and the outbox are taken at the call, together: an alert's step and the notifications
 * it owes are one change (AlertEngine), and a file holding one without the other would lose a
 * notification or repeat it after a crash.
 */
export function stateChunks<S extends StateShapes>(data: StateData<S>): Generator<string> {
  const taken = new Map(TAKEN_TOGETHER.map((key) => [key, JSON.stringify(data[key])]));
  return pieces(data, taken);
}

const TAKEN_TOGETHER = ["alerts", "outbox"] as const satisfies readonly (keyof StateData<StateShapes>)[];

function* pieces<S extends StateShapes>(data: StateData<S>, taken: ReadonlyMap<string, string>): Generator<string> {
  let first = true;
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const head = `${first ? "{" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (key !== "results") {
      yield head + (taken.get(key) ?? JSON.stringify(value));
      continue;
    }
    yield `${head}{`;
    let separator = "";
    for (const [name, status] of Object.entries(data.results)) {
      if (status === undefined) continue;
      yield `${separator}${JSON.stringify(name)}:${JSON.stringify(status)}`;
      separator = ",";
    }
    yield "}";
  }
  yield first ? "{}" : "}";
}
