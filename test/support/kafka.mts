// Typed entry point to the throwaway Kafka broker for tests: the logic is in generator/dev/kafka.mjs,
// which the package ships for `eventsmith dev`. Tests import '../support/kafka.mjs', which
// resolves here.
export * from '../../generator/dev/kafka.mjs';
