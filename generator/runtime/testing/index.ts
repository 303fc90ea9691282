// Public surface of `eventsmith/testing`: given / when / then kits for deciders, reducers,
// upcasters and sagas (in memory, on the engine's own state machine), with framework-neutral
// assertions. A generated domain's `testing.ts` binds them to its types. Needs neither
// PostgreSQL nor Kafka (nor their client libraries).
export { KitAssertionError, assertEqual, assertThrows, formatValue, lineDiff, type ErrorMatcher } from './assert.js';
export {
  deciderKit,
  reducerKit,
  upcasterKit,
  type DeciderKit,
  type DeciderKitSpec,
  type DeciderThen,
  type DeciderWhen,
  type ReducerKit,
  type ReducerKitSpec,
  type ReducerThen,
  type StoredMessage,
  type TypedMessage,
  type UpcasterKit,
} from './aggregate.js';
export { SagaKit, sagaKit, type CommandCodecTable, type CommandDecoder, type ExpectedCommand, type KitSentCommand, type ReplyOptions, type SagaKitOptions } from './saga.js';
