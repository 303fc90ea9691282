// Kafka part of `eventsmith/runtime`: the CloudEvents binding, the shared producer, the outbox
// relay and the consumer runner. Generated code is a typed layer over these.
export {
  CONTENT_TYPE_HEADER,
  STRUCTURED_CONTENT_TYPE,
  attributesOf,
  decodeCloudEvent,
  encodeBinary,
  encodeCloudEvent,
  encodeStructured,
  frameConfluent,
  unframeConfluent,
  type CloudEventAttributes,
  type ContentMode,
  type DecodedRecord,
  type EncodedCloudEvent,
  type IncomingRecord,
  type OutgoingRecord,
} from './binding.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { kafkaLogCreator } from './log-creator.js';
export { KafkaPublisher, toOutgoing, type KafkaPublisherOptions, type OutgoingMessage, type PublishOptions, type PublisherStats } from './producer.js';
export { newEventFor, outboxEntry, outboxRecordToMessage, type OutboxEntryOptions } from './outbox-message.js';
export { OUTBOX_CHANNEL, OutboxRelay, outboxLag, type NotificationConnection, type OutboxLag, type OutboxRelayOptions, type RelayMetrics } from './relay.js';
export {
  DEAD_LETTER_HEADERS,
  deadLetterMessage,
  decodeMessage,
  decodeMessageByRegistry,
  type DataCodec,
  type DeadLetterInfo,
  type DeadLetterReason,
  type DecodeOptions,
  type DecodeOutcome,
  type EventDecoding,
  type EventMap,
  type RegistryDecodeOptions,
} from './consumer-decode.js';
export {
  DeferredEventError,
  KafkaConsumerRunner,
  transactionScope,
  type ConsumerMetrics,
  type EventHandler,
  type EventHandlers,
  type HandlerContext,
  type KafkaConsumerOptions,
  type TransactionScope,
} from './consumer.js';
export { kafkaProjectionApplier, type KafkaProjectionApplier, type ProjectionHandlerContext } from './projection-applier.js';
export { consumerLag, ensureTopics, type ConsumerLag, type PartitionLag, type TopicSpec } from './admin.js';
export {
  aggregateDecoding,
  domainConsumer,
  domainDecoding,
  envelopeSender,
  publishEnvelope,
  type EnvelopeSender,
  type AggregateDecoding,
  type DomainConsumerOptions,
  type PublishRegistry,
  type SchemaIdLookup,
  type TopicRoute,
  type TypedPublishOptions,
} from './typed.js';
