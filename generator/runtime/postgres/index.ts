// PostgreSQL part of `eventsmith/runtime`: event store, snapshots, outbox, migrations.
export type { ConnectionPool, PooledConnection, Queryable, QueryResultLike } from './db.js';
export { ConcurrencyError, DuplicateEventError, EventDecodeError, MigrationError, type ConcurrencyConflict, type EventDecodeFailure } from './errors.js';
export {
  MIGRATION_LOCK_KEY,
  MIGRATIONS_TABLE_SQL,
  migrate,
  migrationChecksum,
  migrationFiles,
  migrations,
  type MigrateResult,
  type Migration,
  type MigrationFile,
} from './migrations.js';
export {
  appendToStream,
  decodeRecordedEvent,
  loadAggregate,
  loadSnapshot,
  readAll,
  readStream,
  saveAggregateSnapshot,
  saveSnapshot,
  streamVersion,
  type AggregateDefinition,
  type AppendResult,
  type AppendToStream,
  type EventDecoder,
  type EventMetadata,
  type EventOutbox,
  type LoadedAggregate,
  type LoadOptions,
  type MetadataValue,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type Snapshot,
  type SnapshotCodec,
} from './event-store.js';
export { insertOutbox, type OutboxHeaders, type OutboxMessage } from './outbox.js';
export {
  OUTBOX_START,
  loadOutboxCursor,
  markOutboxPublished,
  pollOutbox,
  readOutbox,
  saveOutboxCursor,
  type OutboxBatch,
  type OutboxCursor,
  type OutboxRecord,
  type PollOutboxOptions,
} from './outbox-reader.js';
export { markProcessed } from './idempotency.js';
export {
  createRepository,
  type AggregateId,
  type AppendedEvents,
  type EventCodecTable,
  type EventInput,
  type Repository,
  type RepositoryAppendOptions,
  type RepositoryDefinition,
  type RepositoryLoadOptions,
  type RepositoryOptions,
  type StorageEncoding,
  type StoredEventOf,
  type TypedEvent,
} from './repository.js';
