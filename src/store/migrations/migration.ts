/**
 * One step of the schema (README, "Storage and history"). Steps are numbered from 1 without holes and
 * never edited once released: a change is a new step. Each holds the SQL that SQLite runs and, for the
 * PostgreSQL engine to come, a note of what differs there; the same tables, columns and indexes exist on
 * both, so one set of repositories and one contract suite serve both engines.
 */
export interface Migration {
  version: number;
  /** A few words: what the step adds. */
  name: string;
  /** Statements run by SQLite inside the migration's transaction. */
  sqlite: string;
  /** Where the PostgreSQL form of this step differs from `sqlite`. */
  postgresNotes: string;
}
