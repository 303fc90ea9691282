// Public surface of `eventsmith/runtime`, imported by generated code.
export { createCodec, type AvroCodec, type AvroReader } from './avro.js';
export { AvroDecodeError, AvroEncodeError, AvroSchemaError } from './errors.js';
export { parseSchemaText, stringifySchema, type AvroSchemaJson, type AvroSchemaObject } from './schema.js';
export { addDecimal } from './decimal.js';
export { crc64Avro, fingerprint64, fingerprintToHex, parsingCanonicalForm, sha256Hex } from './canonical.js';
export { JsonNumber, JsonSyntaxError, parseJson, stringifyJson, type JsonObject, type JsonValue } from './json-text.js';
export {
  dataschemaFor,
  envelopeAttributes,
  STREAM_VERSION_EXTENSION,
  streamVersionOf,
  InvalidEnvelopeError,
  isAbsoluteUri,
  isAttributeName,
  isRfc3339DateTime,
  isUriReference,
  makeEnvelope,
  parseEnvelope,
  validateEnvelope,
  type CloudEvent,
  type DataContentType,
  type DeliveredEvent,
  type DataGuard,
  type EnvelopeEnvironment,
  type EnvelopeGuards,
  type EnvelopeInit,
  type EnvelopeMeta,
  type EnvelopeOf,
  type ValidationResult,
} from './cloudevents.js';

// Logging of the long-running parts (every component takes an optional `logger`).
export { errorMessage, silentLogger, stderrLogger, withFields, type LogFields, type LogLevel, type Logger, type StderrLoggerOptions } from './logger.js';

// PostgreSQL event store, snapshots, outbox, migrations (generator/runtime/postgres/).
export * from './postgres/index.js';

// Kafka: CloudEvents binding, shared producer, outbox relay, consumer runner (generator/runtime/kafka/).
export * from './kafka/index.js';

// Sagas: orchestration engine, timeout poller, command handlers (generator/runtime/saga/).
export * from './saga/index.js';

// Schema registry: client, subject names, cached schema-id resolver (generator/runtime/registry/).
export * from './registry/index.js';
