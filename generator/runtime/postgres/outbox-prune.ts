/**
 * Outbox cleanup when Debezium publishes the outbox instead of the relay. Debezium reads the WAL,
 * not the table, so nothing marks rows published and the table would grow for ever; rows are
 * DELETEd (not marked: an UPDATE is a change event the EventRouter warns about, and a dead row
 * costs the same vacuum as a deleted one), and only once the connector's replication slot has
 * confirmed them: its `confirmed_flush_lsn` is what Debezium has committed to Kafka and will not
 * read again, so a row deleted earlier is still published (the WAL keeps it), but a row deleted
 * before the slot even existed would be lost.
 *
 * Rows carry no LSN, so each step works with a mark: a snapshot and the WAL insert position L taken
 * together. Every transaction visible in that snapshot wrote its commit record below L; once the
 * slot confirms L, those rows are published and can go. A step deletes the rows of the previous
 * mark if the slot has passed it, then takes a new mark. So rows go one or two steps after Debezium
 * published them; on a database that then falls silent, the last rows stay until the next write
 * moves the slot past the mark (Debezium confirms the commits it processed, not idle WAL).
 * Deleting rows is invisible to Debezium's output: the EventRouter skips deletes and the emitted
 * connector turns off delete tombstones.
 */
import { type Queryable, asString, firstRow } from './db.js';

export interface OutboxPruneOptions {
  /** The connector's replication slot (`slot.name` of the emitted connector: `eventsmith_<domain>`). */
  readonly slotName: string;
  /** Rows per DELETE statement (default 5000): short transactions, short row locks. */
  readonly batchSize?: number;
}

interface Mark {
  readonly snapshot: string;
  readonly lsn: string;
}

export class OutboxPruner {
  #mark: Mark | undefined;
  readonly #batchSize: number;

  constructor(
    private readonly db: Queryable,
    private readonly options: OutboxPruneOptions,
  ) {
    this.#batchSize = options.batchSize ?? 5000;
  }

  /** One step (call it every few seconds): returns how many rows it deleted. */
  async prune(): Promise<number> {
    let deleted = 0;
    const mark = this.#mark;
    if (mark !== undefined && (await this.#slotPassed(mark.lsn))) {
      for (;;) {
        const result = await this.db.query(
          `DELETE FROM eventsmith_outbox WHERE id IN (
             SELECT id FROM eventsmith_outbox
              WHERE txid < pg_snapshot_xmax($1::pg_snapshot) AND pg_visible_in_snapshot(txid, $1::pg_snapshot)
              LIMIT $2)`,
          [mark.snapshot, this.#batchSize],
        );
        const n = result.rowCount ?? 0;
        deleted += n;
        if (n < this.#batchSize) break;
      }
      this.#mark = undefined;
    }
    if (this.#mark === undefined) {
      // One statement: its snapshot is taken before the insert position is read.
      const row = firstRow(await this.db.query('SELECT pg_current_snapshot()::text AS snapshot, pg_current_wal_insert_lsn()::text AS lsn'));
      this.#mark = { snapshot: asString(row?.snapshot, 'snapshot'), lsn: asString(row?.lsn, 'lsn') };
      await this.#slotPassed(this.#mark.lsn);
    }
    return deleted;
  }

  async #slotPassed(lsn: string): Promise<boolean> {
    const row = firstRow(
      await this.db.query('SELECT confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= $2::pg_lsn AS passed FROM pg_replication_slots WHERE slot_name = $1', [
        this.options.slotName,
        lsn,
      ]),
    );
    // Never delete on a guess: without the slot nothing says what was published.
    if (row === undefined) throw new Error(`eventsmith: replication slot '${this.options.slotName}' does not exist; outbox rows are kept until it does`);
    return row.passed === true;
  }
}
