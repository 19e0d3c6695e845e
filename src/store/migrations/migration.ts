/**
 * One step of the schema (README, "Storage and history"). Steps are numbered from 1 without holes and
 * never edited once released: a change is a new step. Each holds the SQL of both engines; the same
 * tables, columns and indexes exist on both, so one contract suite serves both engines.
 */
export interface Migration {
  version: number;
  /** A few words: what the step adds. */
  name: string;
  /** Statements run by SQLite inside the migration's transaction. */
  sqlite: string;
  /** Statements run by PostgreSQL inside the migration's transaction (DDL is transactional there too). */
  postgres: string;
}
