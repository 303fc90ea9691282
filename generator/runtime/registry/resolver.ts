/**
 * Schema ids for producers and writer schemas for consumers, from a schema registry.
 *
 * Every answer is cached for the resolver's life (a registry never changes what an id means),
 * and concurrent first uses of one key share one request: a burst of publishes of a new event
 * type costs one lookup, not one per message. A failed request is not cached, so the next use
 * asks again (the publisher's retries ride through a registry restart).
 */
import { createCodec, type AvroCodec, type AvroReader } from '../avro.js';
import { AvroSchemaError } from '../errors.js';
import { parseSchemaText, stringifySchema, type AvroSchemaJson } from '../schema.js';
import { SchemaRegistryError, type SchemaRegistryClient } from './client.js';
import { backoffDelay, sleep, type BackoffOptions } from '../kafka/backoff.js';

/** Runs `call` again on transient registry failures until `forMs` has passed. */
async function withRetries<T>(call: () => Promise<T>, forMs: number, backoff: BackoffOptions | undefined): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let failures = 1; ; failures++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof SchemaRegistryError) || !err.isTransient || Date.now() >= deadline) throw err;
      await sleep(Math.min(backoffDelay(failures, { initialMs: 200, maxMs: 5_000, ...backoff }), Math.max(0, deadline - Date.now())));
    }
  }
}

export interface SchemaIdResolverOptions {
  /**
   * Register a schema the subject does not hold yet (default false: only look it up, so that
   * registration stays with `eventsmith registry push` and the registry's compatibility check).
   */
  readonly autoRegister?: boolean;
  /**
   * How long `idFor` keeps retrying while the registry is unreachable, times out or fails on its
   * side (default 60 s; 0: no retries). A publish waits instead of failing through a registry
   * restart; unknown subjects, ids and refusals are never retried.
   */
  readonly retryForMs?: number;
  readonly backoff?: BackoffOptions;
}

/** What resolution needs of a reader codec (an AvroCodec has it). */
export interface ReaderCodec<T> {
  readerFor(writer: AvroSchemaJson): AvroReader<T>;
}

export interface SchemaIdResolver {
  readonly client: SchemaRegistryClient;
  /** The registry id of `codec`'s schema under `subject`. Throws SchemaRegistryError if the subject lacks it (and autoRegister is off). */
  idFor(subject: string, codec: AvroCodec<unknown>): Promise<number>;
  /**
   * The id if `idFor` already resolved it, without waiting: a publish that needs no registry
   * round trip stays in the synchronous run of its caller, where the publisher batches calls.
   */
  cachedId(subject: string, codec: AvroCodec<unknown>): number | undefined;
  /** The writer schema of `id` (text parsed with exact long defaults). */
  schemaFor(id: number): Promise<AvroCodec<unknown>>;
  /** Decodes data written with schema `id` as `reader`'s type (Avro schema resolution); cached per id and reader. */
  readerFor<T>(id: number, reader: ReaderCodec<T>): Promise<AvroReader<T>>;
}

/** A cache whose entries are promises: concurrent callers of a missing key share one computation. */
class PromiseCache<K, V> {
  private readonly entries = new Map<K, Promise<V>>();
  get(key: K, compute: () => Promise<V>): Promise<V> {
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const pending = compute();
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    return pending;
  }
}

export class SchemaNotInRegistryError extends Error {
  override readonly name = 'SchemaNotInRegistryError';
}

export function createSchemaIdResolver(client: SchemaRegistryClient, options: SchemaIdResolverOptions = {}): SchemaIdResolver {
  const ids = new PromiseCache<string, number>();
  const resolvedIds = new Map<string, number>();
  const schemas = new PromiseCache<number, AvroCodec<unknown>>();
  const readers = new WeakMap<ReaderCodec<unknown>, PromiseCache<number, AvroReader<unknown>>>();

  const schemaFor = (id: number): Promise<AvroCodec<unknown>> =>
    schemas.get(id, async () => createCodec<unknown>(parseSchemaText(await client.schemaById(id))));

  return {
    client,
    schemaFor,
    cachedId(subject, codec) {
      return resolvedIds.get(`${subject}\u0000${codec.fingerprintHex}`);
    },
    idFor(subject, codec) {
      const key = `${subject}\u0000${codec.fingerprintHex}`;
      return ids.get(key, () => withRetries(async () => {
        const text = stringifySchema(codec.schema);
        if (options.autoRegister === true) return client.register(subject, text);
        const found = await client.lookup(subject, text);
        if (found === undefined) {
          throw new SchemaNotInRegistryError(`schema ${codec.fingerprintHex} is not registered under subject '${subject}' (run \`eventsmith registry push\`)`);
        }
        return found.id;
      }, options.retryForMs ?? 60_000, options.backoff).then((id) => {
        resolvedIds.set(key, id);
        return id;
      }));
    },
    readerFor<T>(id: number, reader: ReaderCodec<T>): Promise<AvroReader<T>> {
      const key = reader as ReaderCodec<unknown>;
      let cache = readers.get(key);
      if (cache === undefined) {
        cache = new PromiseCache();
        readers.set(key, cache);
      }
      return cache.get(id, async () => {
        const writer = await schemaFor(id);
        try {
          return key.readerFor(writer.schema);
        } catch (err) {
          if (err instanceof AvroSchemaError) throw new AvroSchemaError(`registry schema id ${id}: ${err.message}`);
          throw err;
        }
      }) as Promise<AvroReader<T>>;
    },
  };
}
