/**
 * The one gap-free reading rule, shared by the projection runner and the outbox's readOutbox and
 * pollOutbox. (The relay reads with readCommittedOutbox instead: also the rows of transactions that
 * committed above the horizon, remembering which; see outbox-reader.ts.)
 *
 * Why not "WHERE position > last_position": positions (an identity sequence) are taken when a
 * row is inserted, but the row becomes visible when its transaction commits, and transactions
 * commit in any order. If A inserts position 10 and B position 11, and B commits first, a poller
 * that runs in between sees 11, moves its cursor to 11, and never returns 10 once A commits:
 * the row is skipped, silently.
 *
 * So readers order by the writing transaction's id (`txid`, filled by pg_current_xact_id()) and
 * only read rows whose transaction is older than every transaction still running:
 * `txid < pg_snapshot_xmin(pg_current_snapshot())`. Any transaction with an id below the
 * snapshot's xmin has finished; its rows are all visible (committed) or will never be (rolled
 * back). A transaction that commits later has an id >= that xmin, hence above every cursor this
 * read can produce, so the cursor (txid, position) never passes a row that could still appear.
 * Within one transaction, positions increase in insertion order.
 *
 * The price: a long-running writing transaction holds back everything that started after it
 * (latency, never loss).
 */

/** Where a reader has read up to: the (txid, position) of its last row. */
export interface TxCursor {
  readonly txid: bigint;
  readonly position: bigint;
}

export const TX_CURSOR_START: TxCursor = Object.freeze({ txid: 0n, position: 0n });

/**
 * The WHERE condition of a gap-free read after the cursor in parameters `$<txidParam>` and
 * `$<txidParam + 1>`, for a table aliased `alias` with a xid8 column `txid` and a bigint
 * `positionColumn`. Order by `alias.txid, alias.<positionColumn>`; an index on
 * (txid, positionColumn) serves it.
 */
export function gapFreeAfter(alias: string, positionColumn: string, txidParam: number): string {
  return gapFreeAfterCursor(alias, positionColumn, `$${txidParam}::xid8`, `$${txidParam + 1}::bigint`);
}

/** gapFreeAfter with the cursor as SQL expressions (a checkpoint row's columns, in the same statement). */
export function gapFreeAfterCursor(alias: string, positionColumn: string, txid: string, position: string): string {
  return `(${alias}.txid, ${alias}.${positionColumn}) > (${txid}, ${position})
        AND ${alias}.txid < pg_snapshot_xmin(pg_current_snapshot())`;
}

/** The parameters of gapFreeAfter for `cursor`. */
export function cursorParams(cursor: TxCursor): [string, string] {
  return [cursor.txid.toString(), cursor.position.toString()];
}
