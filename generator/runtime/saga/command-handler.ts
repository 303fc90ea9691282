/**
 * The receiving side of commands: load the target aggregate, decide, append the decided events
 * with the version the decision was made on, all in the consumer's transaction.
 *
 * In the consumer runner an aggregate is loaded once per transaction (TransactionScope): the next
 * command of the same aggregate in that transaction is decided on the state the previous one
 * left, which is what a load would read (stateAfter decodes the events as stored).
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
import type { HandlerContext } from '../kafka/consumer.js';
import type { Queryable } from '../postgres/db.js';
import { ConcurrencyError } from '../postgres/errors.js';
import type { AggregateId, Repository } from '../postgres/repository.js';

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
  return async (command, context) => {
    // In the consumer runner: an aggregate is loaded once per transaction, its later commands
    // decided on the state the earlier ones left (commands of one key share a partition, so a
    // transaction often holds several for one aggregate).
    const cache = context.transaction?.state(repository, (): AggregateCache<S> => new Map());
    const result = await executeCommand(context.tx, repository, idOf(command), command, decide, options, cache);
    await options.onExecuted?.(result, command, context);
  };
}
