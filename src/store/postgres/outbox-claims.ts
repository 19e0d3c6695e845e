import type pg from "pg";
import { OUTBOX_COLUMNS, outboxEntry } from "./state-rows.ts";
import type { StateSlices } from "../sqlite/state-rows.ts";

type Entry = StateSlices["outbox"][number];

export interface OutboxClaimsOptions {
  pool: pg.Pool;
  replica: string;
  /** A replica whose heartbeat is older than this is gone: its notifications are anyone's to claim. */
  expiryMs: number;
  /** The entries this replica holds now. */
  held(): ReadonlyMap<string, unknown>;
  /** Entries this replica just claimed (in `seq` order). */
  arrive(entries: Entry[]): void;
}

/**
 * Each notification is delivered by one replica (README, "Deployment: replicas"): the one that queued it
 * (`outbox.claimed_by`), or, when that replica is gone — its heartbeat older than the expiry, or its row
 * deleted by a graceful stop — whichever replica claims the row first. Rows are claimed one by one under
 * `FOR UPDATE SKIP LOCKED`, so two replicas claiming at once split the orphans between them and never
 * take the same row. Every round also renews this replica's heartbeat, which keeps its own claims.
 */
export class OutboxClaims {
  private readonly o: OutboxClaimsOptions;

  constructor(options: OutboxClaimsOptions) {
    this.o = options;
  }

  /** At open: what this replica's id still holds from before (a restart under the same id), in order. */
  async own(): Promise<Entry[]> {
    const { rows } = await this.o.pool.query(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE claimed_by = $1 ORDER BY seq`, [this.o.replica]);
    return rows.map(outboxEntry);
  }

  async round(): Promise<void> {
    const { pool, replica, expiryMs } = this.o;
    await pool.query(
      `INSERT INTO replicas (id, started_at, heartbeat_at) VALUES ($1, secretary_now_ms(), secretary_now_ms())
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      [replica],
    );
    const { rows } = await pool.query(
      `UPDATE outbox o SET claimed_by = $1
       FROM (SELECT c.id FROM outbox c LEFT JOIN replicas r ON r.id = c.claimed_by
             WHERE c.claimed_by IS DISTINCT FROM $1 AND (r.id IS NULL OR r.heartbeat_at < secretary_now_ms() - $2)
             ORDER BY c.seq LIMIT 500 FOR UPDATE OF c SKIP LOCKED) orphan
       WHERE o.id = orphan.id
       RETURNING o.seq, ${OUTBOX_COLUMNS.split(", ").map((c) => `o.${c}`).join(", ")}`,
      [replica, expiryMs],
    );
    const held = this.o.held();
    const entries = rows.sort((a, b) => (a.seq as number) - (b.seq as number)).map(outboxEntry).filter((e) => !held.has(e.id));
    if (entries.length > 0) this.o.arrive(entries);
  }

  /** A graceful stop: its notifications and its heartbeat row go, so another replica claims them at once. */
  async release(): Promise<void> {
    await this.o.pool.query("UPDATE outbox SET claimed_by = NULL WHERE claimed_by = $1", [this.o.replica]);
    await this.o.pool.query("DELETE FROM replicas WHERE id = $1", [this.o.replica]);
  }
}
