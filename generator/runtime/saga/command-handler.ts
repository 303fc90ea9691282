/**
 * The receiving side of commands: load the target aggregate, decide, append the decided events
 * with the version the decision was made on, all in the consumer's transaction.
 *
 * In the consumer runner (TransactionScope) the commands of a transaction are decided together
 * before its COMMIT: one statement loads every aggregate they address, the commands are decided
 * in order in memory (the next command of an aggregate on the state the previous one left, which
 * is what a load would read: stateAfter decodes the events as stored), and one statement appends
 * every aggregate's events with their outbox rows. An aggregate another writer moved meanwhile is
 * loaded and decided again alone; a decider that throws is charged to its command, which the
 * runner then retries alone.
 *
 * Exactly once in effect comes from the consumer runner: it records the command's id in
 * eventsmith_processed_events in the same transaction as this append, so a redelivered or
 * resent command (a saga resends with the same id after a timeout) finds its id taken and is
 * skipped. Here: concurrency. When another writer appended to the aggregate after the load, the
 * append writes nothing and throws ConcurrencyError without aborting the transaction; the
 * command is then loaded and decided again on the new state, in the same transaction.
 *
 * The events carry the command's correlation on: correlationid = the command's correlationid (a
 * saga's id; the command's own id if it has none) and causationid = the command's id, which is
 * how a saga tells the answer to its current command from a late one.
 */
import type { CloudEvent } from '../cloudevents.js';
import { DeferredEventError, type HandlerContext } from '../kafka/consumer.js';
import type { Queryable } from '../postgres/db.js';
import { ConcurrencyError } from '../postgres/errors.js';
import type { LoadedAggregate } from '../postgres/event-store.js';
import type { AggregateId, AppendedEvents, CommittedAggregate, Repository, RepositoryAppend } from '../postgres/repository.js';
import { type Context, otel } from '../telemetry/otel.js';

/** What a decider knows besides the state and the command's data. */
export interface CommandMeta<Id = string> {
  /** The command's CloudEvents id; the events it leads to carry it as `causationid`. */
  readonly commandId: string;
  readonly commandType: string;
  /** The aggregate the command is addressed to, as the aggregate's id type. */
  readonly aggregateId: Id;
  /** The correlation the events will carry (the saga id when a saga sent the command). */
  readonly correlationId: string;
  readonly causationId: string | undefined;
  /** The aggregate's version the state is at (0: no events yet). */
  readonly version: number;
  /** Decisions discarded so far because another writer got there first. */
  readonly conflicts: number;
  /**
   * When the command is decided. Deciders read the time from here, not from a clock of their
   * own, so they stay pure functions of their arguments and are tested with any time.
   */
  readonly now: Date;
}

/**
 * Decides what a command does to an aggregate: the events to append (none: the command changes
 * nothing). Pure: it may run more than once for one command when writers race. A command that
 * cannot be carried out should return a failure event (what a saga's failsOn waits for), not
 * throw: a throw is retried by the consumer, then dead-lettered.
 */
export type Decide<S, D, I, Id = string> = (state: S, command: D, meta: CommandMeta<Id>) => readonly I[];

export interface ExecuteCommandOptions {
  /** Decisions discarded because of concurrent appends before ConcurrencyError is thrown (default 10). */
  readonly maxConflicts?: number;
}

/** Aggregates as this transaction left them, by id: the state the next command of the transaction starts from. */
export type AggregateCache<S> = Map<string, { readonly state: S; readonly version: number }>;

export interface ExecutedCommand {
  /** The aggregate's version after the command (unchanged if nothing was decided). */
  readonly version: number;
  readonly eventIds: readonly string[];
  readonly conflicts: number;
}

/**
 * Runs one command against one aggregate in `tx`: load, decide, append with expectedVersion;
 * again on a version conflict. A 'transaction-order' or 'duplicate-version' conflict cannot be
 * resolved in this transaction and is thrown (the consumer runner retries in a new one).
 */
export async function executeCommand<Id extends AggregateId, S, I, D>(
  tx: Queryable,
  repository: Repository<Id, S, I>,
  id: Id,
  command: CloudEvent<string, D>,
  decide: Decide<S, D, I, Id>,
  options: ExecuteCommandOptions = {},
  cache?: AggregateCache<S>,
): Promise<ExecutedCommand> {
  const maxConflicts = options.maxConflicts ?? 10;
  const correlationId = command.correlationid ?? command.id;
  const key = String(id);
  for (let conflicts = 0; ; conflicts++) {
    // Another transaction's append since the state was kept fails the append below with a
    // version mismatch, and the aggregate is loaded again.
    const loaded = cache?.get(key) ?? (await repository.load(id, { client: tx }));
    const meta: CommandMeta<Id> = {
      commandId: command.id,
      commandType: command.type,
      aggregateId: id,
      correlationId,
      causationId: command.causationid,
      version: loaded.version,
      conflicts,
      now: new Date(),
    };
    const events = decide(loaded.state, command.data, meta);
    if (events.length === 0) {
      cache?.set(key, loaded);
      return { version: loaded.version, eventIds: [], conflicts };
    }
    try {
      const appended = await repository.append(id, events, loaded.version, { client: tx, correlationId, causationId: command.id });
      if (cache !== undefined) {
        if (repository.stateAfter === undefined) cache.delete(key);
        else cache.set(key, { state: repository.stateAfter(loaded.state, events), version: appended.version });
      }
      return { version: appended.version, eventIds: appended.eventIds, conflicts };
    } catch (err) {
      cache?.delete(key);
      if (!(err instanceof ConcurrencyError) || err.conflict !== 'version-mismatch' || conflicts + 1 >= maxConflicts) throw err;
    }
  }
}

export interface CommandHandlerOptions<Id, D> extends ExecuteCommandOptions {
  /** The target aggregate's id (default: the command's subject, which saga commands set to their key). */
  readonly aggregateId?: (command: CloudEvent<string, D>) => Id;
  /** Called after each executed command, in its transaction (observability, tests). */
  readonly onExecuted?: (result: ExecutedCommand, command: CloudEvent<string, D>, context: HandlerContext) => Promise<void> | void;
}

/** A consumer-runner handler for one command type; assignable to EventHandler<T, D> for any T. */
export type CommandHandler<D> = (command: CloudEvent<string, D>, context: HandlerContext) => Promise<void>;

/**
 * The consumer-runner handler of one command type: executeCommand in HandlerContext.tx, where
 * the runner's processed mark makes the command take effect once.
 */
export function commandHandler<S, I, D>(repository: Repository<string, S, I>, decide: Decide<S, D, I>, options?: CommandHandlerOptions<string, D>): CommandHandler<D>;
export function commandHandler<Id extends AggregateId, S, I, D>(
  repository: Repository<Id, S, I>,
  decide: Decide<S, D, I, Id>,
  options: CommandHandlerOptions<Id, D> & { readonly aggregateId: (command: CloudEvent<string, D>) => Id },
): CommandHandler<D>;
export function commandHandler<Id extends AggregateId, S, I, D>(
  repository: Repository<Id, S, I>,
  decide: Decide<S, D, I, Id>,
  options: CommandHandlerOptions<Id, D> = {},
): CommandHandler<D> {
  // Without aggregateId the first overload applies, where Id is string.
  const idOf = options.aggregateId ?? ((command: CloudEvent<string, D>) => command.subject as Id);
  const { loadMany, appendMany, stateAfter } = repository;
  const batched = loadMany !== undefined && appendMany !== undefined && stateAfter !== undefined;
  return async (command, context) => {
    const scope = context.transaction;
    if (scope !== undefined && batched) {
      // Every handler of this repository shares the transaction's batch.
      const batch = scope.state(repository, (): CommandBatch<Id, S, I> => {
        const made: CommandBatch<Id, S, I> = { aggregates: new Map(), count: 0 };
        scope.beforeCommit(async () => {
          const left = await flushCommands(context.tx, repository, made);
          // What the transaction read and wrote is committed state only after its COMMIT.
          const { snapshotCommitted } = repository;
          if (snapshotCommitted !== undefined && scope.afterCommit !== undefined) {
            scope.afterCommit(() => {
              for (const { id, committed } of left) snapshotCommitted.call(repository, id, committed);
            });
          }
        });
        return made;
      });
      const id = idOf(command);
      const queued: QueuedCommand<Id, S, I> = {
        ord: batch.count++,
        id,
        commandId: command.id,
        commandType: command.type,
        correlationId: command.correlationid ?? command.id,
        causationId: command.causationid,
        maxConflicts: options.maxConflicts ?? 10,
        parent: otel?.context.active(),
        decide: (state, meta) => decide(state, command.data, meta),
        executed: (result) => options.onExecuted?.(result, command, context),
      };
      const key = String(id);
      const list = batch.aggregates.get(key);
      if (list === undefined) batch.aggregates.set(key, [queued]);
      else list.push(queued);
      return;
    }
    // A repository without batch loads and appends: an aggregate is still loaded once per
    // transaction, its later commands decided on the state the earlier ones left.
    const cache = scope?.state(repository, (): AggregateCache<S> => new Map());
    const result = await executeCommand(context.tx, repository, idOf(command), command, decide, options, cache);
    await options.onExecuted?.(result, command, context);
  };
}

/** A command queued in a consumer transaction, its data and hooks bound. */
interface QueuedCommand<Id, S, I> {
  /** Its place among the transaction's commands for this repository. */
  readonly ord: number;
  readonly id: Id;
  readonly commandId: string;
  readonly commandType: string;
  readonly correlationId: string;
  readonly causationId: string | undefined;
  readonly maxConflicts: number;
  /** The context its handler ran in: the parent of its append's span. */
  readonly parent: Context | undefined;
  readonly decide: (state: S, meta: CommandMeta<Id>) => readonly I[];
  readonly executed: (result: ExecutedCommand) => Promise<void> | void;
}

/** One transaction's commands for one repository, by aggregate in the order first seen. */
interface CommandBatch<Id, S, I> {
  readonly aggregates: Map<string, QueuedCommand<Id, S, I>[]>;
  count: number;
}

/** One aggregate's queued commands decided in order from a load: the appends to write. */
interface CommandPlan<Id, S, I> {
  readonly queued: readonly QueuedCommand<Id, S, I>[];
  /** Each appending command with its append (expected versions following each other). */
  readonly appends: Array<{ readonly q: QueuedCommand<Id, S, I>; readonly append: RepositoryAppend<Id, I> }>;
  /** Results of the commands that decided nothing (they hold whatever the appends do). */
  readonly unchanged: Array<{ readonly q: QueuedCommand<Id, S, I>; readonly version: number }>;
  /** The aggregate as the plan leaves it once its appends are written. */
  readonly left: CommittedAggregate<S>;
}

/**
 * Decides and writes the commands queued in one transaction (see commandHandler): one load of
 * their aggregates, one append of all their events; an aggregate refused on its version is
 * loaded and decided again alone, as executeCommand does. Returns each aggregate as the
 * transaction leaves it (for its snapshot once committed).
 */
async function flushCommands<Id extends AggregateId, S, I>(
  tx: Queryable,
  repository: Repository<Id, S, I>,
  batch: CommandBatch<Id, S, I>,
): Promise<Array<{ readonly id: Id; readonly committed: CommittedAggregate<S> }>> {
  const loadMany = repository.loadMany as NonNullable<Repository<Id, S, I>['loadMany']>;
  const appendMany = repository.appendMany as NonNullable<Repository<Id, S, I>['appendMany']>;
  const results = new Map<QueuedCommand<Id, S, I>, ExecutedCommand>();
  const conflicts = new Map<string, number>();
  const left: Array<{ readonly id: Id; readonly committed: CommittedAggregate<S> }> = [];
  let todo = [...batch.aggregates.entries()];
  while (todo.length > 0) {
    const loaded = await loadMany(
      todo.map(([, queued]) => (queued[0] as QueuedCommand<Id, S, I>).id),
      { client: tx },
    );
    const plans = todo.map(([key, queued], k) => planCommands(repository, queued, loaded[k] as PromiseSettledResult<LoadedAggregate<S>>, conflicts.get(key) ?? 0));
    // Written in the order the commands came (positions, outbox rows), as one by one would.
    const appends = plans.flatMap((p) => p.appends).sort((x, y) => x.q.ord - y.q.ord);
    const written = appends.length === 0 ? [] : await appendMany(appends.map((a) => a.append), { client: tx });
    const outcome = new Map<QueuedCommand<Id, S, I>, AppendedEvents | ConcurrencyError>(appends.map((a, j) => [a.q, written[j] as AppendedEvents | ConcurrencyError]));
    const again: typeof todo = [];
    for (const [k, p] of plans.entries()) {
      const [key] = todo[k] as (typeof todo)[number];
      const n = conflicts.get(key) ?? 0;
      const first = p.appends[0];
      const refused = first === undefined ? undefined : outcome.get(first.q);
      if (first !== undefined && refused instanceof ConcurrencyError) {
        // As executeCommand: only a version mismatch is resolved in this transaction.
        if (refused.conflict !== 'version-mismatch' || n + 1 >= first.q.maxConflicts) throw new DeferredEventError(first.q.commandId, refused);
        conflicts.set(key, n + 1);
        again.push(todo[k] as (typeof todo)[number]);
        continue;
      }
      left.push({ id: (p.queued[0] as QueuedCommand<Id, S, I>).id, committed: p.left });
      for (const { q, version } of p.unchanged) results.set(q, { version, eventIds: [], conflicts: n });
      for (const { q } of p.appends) {
        const appended = outcome.get(q) as AppendedEvents;
        results.set(q, { version: appended.version, eventIds: appended.eventIds, conflicts: n });
      }
    }
    todo = again;
  }
  // In the order the commands came, each in the context of its own handler call.
  const done = [...results.entries()].sort(([a], [b]) => a.ord - b.ord);
  for (const [q, result] of done) {
    try {
      await q.executed(result);
    } catch (err) {
      throw new DeferredEventError(q.commandId, err);
    }
  }
  return left;
}

/** One aggregate's commands decided in order, each on the state the one before left. */
function planCommands<Id extends AggregateId, S, I>(
  repository: Repository<Id, S, I>,
  queued: readonly QueuedCommand<Id, S, I>[],
  loaded: PromiseSettledResult<LoadedAggregate<S>>,
  conflicts: number,
): CommandPlan<Id, S, I> {
  const first = queued[0] as QueuedCommand<Id, S, I>;
  if (loaded.status === 'rejected') throw new DeferredEventError(first.commandId, loaded.reason);
  const stateAfter = repository.stateAfter as NonNullable<Repository<Id, S, I>['stateAfter']>;
  let { state, version } = loaded.value;
  const appends: CommandPlan<Id, S, I>['appends'] = [];
  const unchanged: CommandPlan<Id, S, I>['unchanged'] = [];
  // The state after the last command when it appended: computed only if a snapshot is due.
  let final: (() => S) | undefined;
  for (const [k, q] of queued.entries()) {
    try {
      const meta: CommandMeta<Id> = {
        commandId: q.commandId,
        commandType: q.commandType,
        aggregateId: q.id,
        correlationId: q.correlationId,
        causationId: q.causationId,
        version,
        conflicts,
        now: new Date(),
      };
      const events = q.decide(state, meta);
      if (events.length === 0) {
        unchanged.push({ q, version });
        continue;
      }
      appends.push({
        q,
        append: { id: q.id, events, expectedVersion: version, correlationId: q.correlationId, causationId: q.commandId, ...(q.parent !== undefined ? { parent: q.parent } : {}) },
      });
      // Not for the last command: the state after it is needed only for a snapshot (stateAfter encodes and decodes each event).
      if (k < queued.length - 1) state = stateAfter(state, events);
      else {
        const before = state;
        final = () => stateAfter(before, events);
      }
      version += events.length;
    } catch (err) {
      throw new DeferredEventError(q.commandId, err);
    }
  }
  const last = state;
  return { queued, appends, unchanged, left: { snapshotVersion: loaded.value.snapshotVersion, version, state: final ?? (() => last) } };
}
