// Typed entry point to the throwaway Kafka Connect worker with Debezium for tests: the logic is in
// generator/dev/debezium.mjs, which the package ships (it also builds the OutboxHeaders SMT).
export * from '../../generator/dev/debezium.mjs';
