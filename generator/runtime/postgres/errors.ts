/** Typed errors of the PostgreSQL runtime. Each names the stream it concerns. */

export type ConcurrencyConflict =
  /** Another writer appended first: the stream is not at the expected version. */
  | 'version-mismatch'
  /**
   * The stream is at the expected version, but its last append was made by a transaction that
   * got its transaction id after this one. Accepting it would put this append's outbox rows
   * before that one's for the gap-free reader (which delivers in transaction-id order), so the
   * append is refused like a version conflict; a retry in a new transaction succeeds.
   */
  | 'transaction-order'
  /** The database rejected a duplicate stream version (rows written outside appendToStream). */
  | 'duplicate-version';

/** Optimistic concurrency failed: reload the aggregate and decide again. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamType: string,
    readonly streamId: string,
    /** The version the caller expected the stream to be at (0 = no events yet). */
    readonly expected: number,
    /** The version found; undefined only for 'duplicate-version', where the transaction is aborted. */
    readonly actual: number | undefined,
    readonly conflict: ConcurrencyConflict = 'version-mismatch',
  ) {
    super(ConcurrencyError.describe(streamType, streamId, expected, actual, conflict));
  }

  private static describe(
    streamType: string,
    streamId: string,
    expected: number,
    actual: number | undefined,
    conflict: ConcurrencyConflict,
  ): string {
    const stream = `${streamType} ${JSON.stringify(streamId)}`;
    switch (conflict) {
      case 'version-mismatch':
        return `concurrency conflict on ${stream}: expected version ${expected}, found ${actual ?? 'unknown'}`;
      case 'transaction-order':
        return (
          `concurrency conflict on ${stream}: at version ${expected} as expected, but its last append was ` +
          'committed by a transaction younger than this one; retry in a new transaction'
        );
      case 'duplicate-version':
        return `concurrency conflict on ${stream}: version ${expected + 1} already exists (expected version ${expected})`;
    }
  }
}

/** An event id that is already stored (the same command applied twice). */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  constructor(
    readonly streamType: string,
    readonly streamId: string,
    readonly eventIds: readonly string[],
  ) {
    super(`duplicate event id appending to ${streamType} ${JSON.stringify(streamId)}: one of ${eventIds.join(', ')} is already stored`);
  }
}

export type EventDecodeFailure = 'unknown-event-type' | 'undecodable';

/** A stored event that this code cannot turn into a domain event. */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  constructor(
    readonly streamType: string,
    readonly streamId: string,
    readonly streamVersion: number,
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly failure: EventDecodeFailure,
    options?: { cause?: unknown },
  ) {
    super(EventDecodeError.describe(streamType, streamId, streamVersion, eventType, schemaVersion, failure, options?.cause), options);
  }

  private static describe(
    streamType: string,
    streamId: string,
    streamVersion: number,
    eventType: string,
    schemaVersion: number,
    failure: EventDecodeFailure,
    cause: unknown,
  ): string {
    const at = `${streamType} ${JSON.stringify(streamId)} version ${streamVersion}`;
    if (failure === 'unknown-event-type') return `cannot load ${at}: unknown event type ${JSON.stringify(eventType)} (schema version ${schemaVersion})`;
    const why = cause instanceof Error ? cause.message : String(cause);
    return `cannot load ${at}: event ${JSON.stringify(eventType)} v${schemaVersion} is undecodable: ${why}`;
  }
}

/** A recorded migration whose text differs from this runtime's (edited after release). */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}
