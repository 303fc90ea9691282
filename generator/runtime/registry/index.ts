// Schema registry: a client of the Confluent REST API, subject naming strategies, and the cached
// id resolver the publisher, relay and consumers use.
export {
  createRegistryClient,
  SchemaRegistryError,
  type CompatibilityVerdict,
  type RegisteredSchema,
  type RegistryAuth,
  type RegistryClientOptions,
  type RegistryErrorKind,
  type SchemaRegistryClient,
} from './client.js';
export {
  DEFAULT_SUBJECT_NAME_STRATEGY,
  isSubjectNameStrategy,
  SUBJECT_NAME_STRATEGIES,
  subjectName,
  type SubjectNameStrategy,
} from './subjects.js';
export { createSchemaIdResolver, SchemaNotInRegistryError, type ReaderCodec, type SchemaIdResolver, type SchemaIdResolverOptions } from './resolver.js';
