/** Idempotent consumers: remember handled message ids per consumer group. */
import { type Queryable, rowsOf } from './db.js';

/**
 * Records that `consumerGroup` handled message `eventId`; false if it already had. Call it in
 * the transaction of the handler's writes, first: a redelivered message then finds the row
 * (or waits for the concurrent first delivery to commit) and is skipped.
 */
export async function markProcessed(db: Queryable, consumerGroup: string, eventId: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO eventsmith_processed_events (consumer_group, event_id) VALUES ($1, $2)
     ON CONFLICT (consumer_group, event_id) DO NOTHING
     RETURNING 1 AS inserted`,
    [consumerGroup, eventId],
  );
  return rowsOf(result).length > 0;
}
