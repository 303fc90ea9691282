/** Typed errors of the saga engine. */

/** A saga definition the engine cannot run (names the saga and what is wrong). */
export class SagaDefinitionError extends TypeError {
  override readonly name = 'SagaDefinitionError';
  constructor(
    readonly sagaType: string,
    readonly problems: readonly string[],
  ) {
    super(`eventsmith: saga ${JSON.stringify(sagaType)} is invalid: ${problems.join('; ')}`);
  }
}

/**
 * The saga row kept moving under this transition: another transaction committed a transition of
 * the same saga every time this one recomputed. The caller's transaction is still usable; the
 * consumer runner retries the message.
 */
export class SagaConflictError extends Error {
  override readonly name = 'SagaConflictError';
  constructor(
    readonly sagaType: string,
    readonly sagaId: string,
    readonly attempts: number,
  ) {
    super(`eventsmith: saga ${sagaType} ${JSON.stringify(sagaId)} changed under ${attempts} attempts to move it; retry later`);
  }
}

/** A stored saga row this code cannot read (an unknown step, a malformed state). */
export class SagaStateError extends Error {
  override readonly name = 'SagaStateError';
  constructor(
    readonly sagaType: string,
    readonly sagaId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`eventsmith: saga ${sagaType} ${JSON.stringify(sagaId)}: ${message}`, options);
  }
}
