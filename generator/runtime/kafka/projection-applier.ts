/**
 * Kafka mode of a projection (the generated `<projection>KafkaHandlers`): the projection's events
 * of one consumer transaction applied together just before its COMMIT, with the runner's
 * set-based rules (projection-rules.ts: one statement reads the rows the events touch, one
 * writes them), instead of a statement per event. Events of custom rules run one at a time, in
 * their place, after the rule events before them are written. Outside the consumer runner (no
 * TransactionScope), or for a projection without declarative rules, each event is applied at
 * once with `definition.apply`, as before.
 *
 * What a row refuses (a NOT NULL or unique violation, which the runner parks) fails that event's
 * handler, as its own statement did: the runner applies the events before it, then retries it
 * alone and dead-letters it.
 */
import type { Queryable } from '../postgres/db.js';
import type { ProjectionDefinition, ProjectionEvent } from '../postgres/projection.js';
import { BatchFolder, prepared } from '../postgres/projection-rules.js';
import { DeferredEventError, type TransactionScope } from './consumer.js';

/** What the applier needs of a consumer handler's context. */
export interface ProjectionHandlerContext {
  readonly tx: Queryable;
  readonly transaction?: TransactionScope | undefined;
}

/** Applies one event of a CloudEvents `type` (queued when the runner gives a transaction scope). */
export type KafkaProjectionApplier<E> = (context: ProjectionHandlerContext, type: string, event: ProjectionEvent<E>) => Promise<void>;

interface Queued<E> {
  readonly type: string;
  readonly event: ProjectionEvent<E>;
}

/** The applier of `definition` into `table`: make one per consumer (its queue is per transaction). */
export function kafkaProjectionApplier<E>(definition: ProjectionDefinition<E>, table: string): KafkaProjectionApplier<E> {
  const folder = definition.batch !== undefined ? new BatchFolder(definition.batch, table) : undefined;
  const owner = {};
  return async (context, type, event) => {
    const scope = context.transaction;
    if (scope === undefined || folder === undefined) {
      await definition.apply(context.tx, table, event);
      return;
    }
    const queue = scope.state(owner, () => {
      const queued: Queued<E>[] = [];
      scope.beforeCommit(() => applyQueued(context.tx, definition, folder, table, queued));
      return queued;
    });
    queue.push({ type, event });
  };
}

async function applyQueued<E>(tx: Queryable, definition: ProjectionDefinition<E>, folder: BatchFolder<E>, table: string, queued: readonly Queued<E>[]): Promise<void> {
  let run: Queued<E>[] = [];
  const flush = async (): Promise<void> => {
    if (run.length === 0) return;
    const folded = await folder.fold(tx, run);
    const refused = folded.parked[0];
    if (refused !== undefined) {
      const at = run[refused.index] as Queued<E>;
      throw new DeferredEventError(at.event.eventId, new Error(refused.reason));
    }
    const { ctes, params } = folder.writes(folded, 1);
    if (ctes.length > 0) await tx.query(prepared(`WITH ${ctes.join(',\n')}\nSELECT 1`, params));
    run = [];
  };
  for (const q of queued) {
    if (folder.handles(q.type)) {
      run.push(q);
      continue;
    }
    await flush();
    try {
      await definition.apply(tx, table, q.event);
    } catch (err) {
      throw new DeferredEventError(q.event.eventId, err);
    }
  }
  await flush();
}
