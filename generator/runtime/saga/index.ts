// Sagas part of `eventsmith/runtime`: the orchestration engine generated orchestrators are a
// typed layer over, its timeout poller, and the command handler of the receiving aggregates.
export {
  SagaEngine,
  resumeParkedSaga,
  sagaHandlers,
  sagaMessageOf,
  type ResumeOptions,
  type SagaEngineOptions,
  type SagaEventHandler,
  type SagaMetrics,
  type SagaRuntime,
} from './engine.js';
export { SagaTimeoutPoller, type SagaPollerMetrics, type SagaTimeoutPollerOptions } from './poller.js';
export { countSagas, listParkedSagas, type ListParkedOptions, type SagaCounts, type StoredSaga } from './store.js';
export {
  commandHandler,
  executeCommand,
  type AggregateCache,
  type CommandHandler,
  type CommandHandlerOptions,
  type CommandMeta,
  type Decide,
  type ExecuteCommandOptions,
  type ExecutedCommand,
} from './command-handler.js';
export { SagaConflictError, SagaDefinitionError, SagaStateError } from './errors.js';
export {
  FINAL_STATUSES,
  type ParkReason,
  type ParkedSaga,
  type PendingCommand,
  type SagaBook,
  type SagaCommand,
  type SagaDefinition,
  type SagaFailure,
  type SagaHandleResult,
  type SagaHistoryEntry,
  type SagaIgnoreReason,
  type SagaInstance,
  type SagaMessage,
  type SagaRetryPolicy,
  type SagaStatus,
  type SagaStepDefinition,
  type SagaTransition,
  type SagaTrigger,
  type SentCommand,
} from './types.js';
export {
  commandConsumer,
  commandHandlers,
  listElement,
  orchestration,
  reactionHandler,
  sagaCommand,
  stepEvent,
  type CommandRoute,
  type CommandTarget,
  type OrchestrationSpec,
  type ReactionHandler,
  type SagaContext,
  type SagaEvent,
  type SagaStepEvents,
} from './typed.js';
