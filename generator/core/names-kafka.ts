// Names in `<slug>/kafka.ts`. Fixed names are per domain file; per-aggregate names derive from
// the aggregate. The resolver claims all of them against the domain's other names.

/** Handlers of one aggregate's topic, by event name: `OrderHandlers`. */
export function topicHandlersTypeName(aggregate: string): string {
  return `${aggregate}Handlers`;
}

/** Types declared once per `kafka.ts`. */
export const kafkaTypeNames = {
  /** Maps each CloudEvents type to the latest data type of that event. */
  events: 'DomainEvents',
  /** Maps each aggregate name to its topic's handlers. */
  handlers: 'DomainHandlers',
  /** The typed publish functions. */
  publisher: 'EventPublisher',
} as const;

/** Values declared once per `kafka.ts`. */
export const kafkaValueNames = {
  topics: 'eventTopics',
  topicSpecs: 'topicSpecs',
  decoding: 'eventDecoding',
  createPublisher: 'createEventPublisher',
  createConsumer: 'createEventConsumer',
} as const;

/** Runtime symbols `kafka.ts` imports by value; no derived value name may take them. */
export const kafkaRuntimeValues: readonly string[] = ['aggregateDecoding', 'domainConsumer', 'domainDecoding', 'publishEnvelope'];
