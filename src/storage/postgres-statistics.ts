/**
 * Planner statistics kept fresh after bulk writes (PostgreSQL). Right after a large import, the tables have no
 * statistics until autovacuum gets to them (a minute or more), and the planner then takes the TAXII page query —
 * a union of index range scans with the sharing condition — for a query over tiny tables: measured 7.7–8.6 s per
 * page with 200,000 objects just stored, 15–30 ms after ANALYZE (docs/benchmarks.md). So once this process has
 * written at least MIN_ROWS entries and the tables have grown by GROWTH since the last ANALYZE it knows of, it
 * runs a quick one (a coarse sample, see `maybeAnalyze`) in the background, after the commit, never inside a write
 * transaction and never two at a time.
 * Best effort: a failed ANALYZE is left to autovacuum.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Entries written before an ANALYZE is considered. */
const MIN_ROWS = 10_000;
/** ... and the growth, relative to the rows at the last ANALYZE, that makes one worthwhile (1 = doubled). */
const GROWTH = 1;
/** The statistics target of these ANALYZEs (PostgreSQL's default is 100). */
const QUICK_TARGET = 10;

export class PostgresStatistics {
  /** Entries written since the last ANALYZE this process ran. */
  private pending = 0;
  /** Rows of `collection_entries` at the last ANALYZE (from `pg_class.reltuples` at first, 0 if never analysed). */
  private baseline: number | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** After a committed write of `rows` collection entries. */
  wrote(rows: number): void {
    if (this.closed || rows <= 0) return;
    this.pending += rows;
    if (this.running !== undefined || this.pending < MIN_ROWS) return;
    const run = this.maybeAnalyze()
      .catch(() => undefined)
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
  }

  /** Waits for an ANALYZE under way; none starts afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async maybeAnalyze(): Promise<void> {
    if (this.baseline === undefined) {
      const { rows } = await sql<{ n: number | string | null }>`select reltuples as n from pg_class
        where oid = to_regclass('collection_entries')`.execute(this.db);
      this.baseline = Math.max(0, Number(rows[0]?.n ?? 0));
    }
    if (this.pending < Math.max(MIN_ROWS, this.baseline * GROWTH)) return;
    const added = this.pending;
    this.pending = 0;
    // A coarse sample: what the planner was missing is the tables' sizes and the rough spread of a few
    // low-cardinality columns (collection, audience, is_latest, type). At the default target (100) ANALYZE samples
    // 30,000 rows per table, reading the bodies' pages: 0.6 s of server CPU after an ATT&CK import, competing
    // with the import itself; at 10 it samples 3,000 (0.04 s). Autovacuum's own ANALYZE, at the server's target,
    // follows within a minute or so (the import changed far more than 10% of the rows) and refines them.
    await this.db.transaction().execute(async (trx) => {
      await sql`set local default_statistics_target = ${sql.lit(QUICK_TARGET)}`.execute(trx);
      await sql`analyze collection_entries, stix_versions, version_marking_refs`.execute(trx);
    });
    this.baseline += added;
  }
}
