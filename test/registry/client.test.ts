// The registry client and the schema-id resolver against the run's real registry (Apicurio
// Registry's Confluent API, started by test/global-setup.ts, or SCHEMA_REGISTRY_URL). Error
// classes a healthy local registry cannot produce (401, 403, a hang) come from a local HTTP
// server that answers just that.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createCodec,
  createRegistryClient,
  createSchemaIdResolver,
  SchemaRegistryError,
  stringifySchema,
  subjectName,
  type AvroSchemaJson,
  type SchemaRegistryClient,
} from '../../generator/runtime/index.js';

const url = inject('registryUrl');
const client = createRegistryClient({ url });
/** Subjects of their own: the registry is shared by the whole run. */
const fresh = (name: string): string => `${name}-${randomUUID()}`;

const v1: AvroSchemaJson = { type: 'record', name: 'Placed', namespace: 'com.example.reg', fields: [{ name: 'n', type: 'int' }] };
const v2: AvroSchemaJson = {
  type: 'record', name: 'Placed', namespace: 'com.example.reg',
  fields: [{ name: 'n', type: 'long' }, { name: 'big', type: 'long', default: 2n ** 63n - 1n }],
};
const breaking: AvroSchemaJson = { type: 'record', name: 'Placed', namespace: 'com.example.reg', fields: [{ name: 'other', type: 'string' }] };

describe('client', () => {
  it('register is idempotent; lookup, by id, versions, latest', async () => {
    const subject = fresh('orders-com.example.reg.Placed');
    const id1 = await client.register(subject, stringifySchema(v1));
    expect(await client.register(subject, stringifySchema(v1))).toBe(id1);
    const id2 = await client.register(subject, stringifySchema(v2));
    expect(id2).not.toBe(id1);
    expect(await client.versions(subject)).toEqual([1, 2]);
    expect(await client.lookup(subject, stringifySchema(v2))).toEqual({ id: id2, version: 2 });
    expect(await client.lookup(subject, stringifySchema(breaking))).toBeUndefined();
    expect(await client.lookup(fresh('none'), stringifySchema(v1))).toBeUndefined();
    expect(await client.versions(fresh('none'))).toEqual([]);
    expect((await client.version(subject, 'latest')).id).toBe(id2);
    // The text comes back as registered: the long default is still exact.
    expect(await client.schemaById(id2)).toContain('"default":9223372036854775807');
    expect(await client.subjects()).toContain(subject);
  });

  it('a compatibility level refuses a breaking registration with 409; testCompatibility says why', async () => {
    const subject = fresh('t-value');
    await client.register(subject, stringifySchema(v1));
    await client.setCompatibility(subject, 'BACKWARD');
    expect(await client.compatibility(subject)).toBe('BACKWARD');
    const verdict = await client.testCompatibility(subject, stringifySchema(breaking));
    expect(verdict.compatible).toBe(false);
    expect((await client.testCompatibility(subject, stringifySchema(v2))).compatible).toBe(true);
    const err = await client.register(subject, stringifySchema(breaking)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaRegistryError);
    expect((err as SchemaRegistryError).kind).toBe('conflict');
    expect((err as SchemaRegistryError).status).toBe(409);
    expect((err as SchemaRegistryError).message).not.toContain('\n');
    expect(await client.testCompatibility(fresh('empty'), stringifySchema(breaking))).toEqual({ compatible: true, messages: [] });
  });

  it('registrations racing to create a subject all get the schema\'s id (a 409 that is a refusal stays one: the test above)', async () => {
    // Separate clients, as two service instances starting at once: Apicurio answers the losers of
    // the subject's creation 409 "already exists" (about half of them, measured), which must not
    // read as a refusal. Several rounds, so that the race happens whatever the timing.
    for (let round = 0; round < 4; round++) {
      const subject = fresh('race-com.example.reg.Placed');
      const ids = await Promise.all(Array.from({ length: 6 }, () => createRegistryClient({ url, timeoutMs: 60_000 }).register(subject, stringifySchema(v1))));
      expect(new Set(ids).size).toBe(1);
      // Not version 1 always: Apicurio may store the racing copies as versions of their own.
      expect((await client.lookup(subject, stringifySchema(v1)))?.id).toBe(ids[0]);
    }
  }, 300_000);

  it('unknown id is not-found; invalid Avro is invalid (422); a wrong URL is not "nothing registered"', async () => {
    const unknown = await client.schemaById(987_654_321).catch((e: unknown) => e);
    expect((unknown as SchemaRegistryError).kind).toBe('not-found');
    expect((unknown as SchemaRegistryError).isAbsent).toBe(true);
    const wrong = createRegistryClient({ url: url.replace(/\/apis\/ccompat\/v7$/, '/not-the-api') });
    const lost = (await wrong.lookup('s', stringifySchema(v1)).catch((e: unknown) => e)) as SchemaRegistryError;
    expect(lost.kind).toBe('not-found');
    expect(lost.isAbsent).toBe(false);
    await expect(wrong.testCompatibility('s', stringifySchema(v1))).rejects.toThrow(SchemaRegistryError);
    const invalid = await client.register(fresh('bad'), '{"type":"record","name":"X"}').catch((e: unknown) => e);
    expect((invalid as SchemaRegistryError).kind).toBe('invalid');
  });
});

describe('client errors, one line each', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [503, 'server'],
  ] as const)('HTTP %i is %s', async (status, kind) => {
    const base = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: status, message: 'nope\nsecond line' }));
    });
    const err = (await createRegistryClient({ url: base, auth: { kind: 'bearer', token: 't' } }).subjects().catch((e: unknown) => e)) as SchemaRegistryError;
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(new RegExp(`^schema registry: HTTP ${status} .*nope second line`));
    expect(err.message).not.toContain('\n');
  });

  it('sends basic and bearer credentials', async () => {
    const seen: (string | undefined)[] = [];
    const base = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await createRegistryClient({ url: base, auth: { kind: 'basic', username: 'u', password: 'p:w' } }).subjects();
    await createRegistryClient({ url: base, auth: { kind: 'bearer', token: 'tok' } }).subjects();
    expect(seen).toEqual([`Basic ${Buffer.from('u:p:w').toString('base64')}`, 'Bearer tok']);
  });

  it('a registry that does not answer is a timeout; nothing listening is a network error', async () => {
    const base = await serve(() => { /* never answers */ });
    const timeout = (await createRegistryClient({ url: base, timeoutMs: 200 }).subjects().catch((e: unknown) => e)) as SchemaRegistryError;
    expect(timeout.kind).toBe('timeout');
    expect(timeout.isTransient).toBe(true);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = (await createRegistryClient({ url: `http://127.0.0.1:${port}` }).subjects().catch((e: unknown) => e)) as SchemaRegistryError;
    expect(down.kind).toBe('network');
    expect(down.message).toMatch(/^schema registry unreachable: ECONNREFUSED/);
  });
});

/** The same client, counting the requests each method makes. */
function counting(inner: SchemaRegistryClient): { client: SchemaRegistryClient; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const count = <A extends unknown[], R>(name: string, f: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return f(...args);
  };
  return {
    calls,
    client: {
      ...inner,
      register: count('register', inner.register),
      lookup: count('lookup', inner.lookup),
      schemaById: count('schemaById', inner.schemaById),
    },
  };
}

describe('schema-id resolver', () => {
  it('concurrent first uses share one request; later uses hit the cache', async () => {
    const subject = subjectName('TopicRecordNameStrategy', fresh('orders'), 'com.example.reg.Placed');
    const { client: c, calls } = counting(client);
    const resolver = createSchemaIdResolver(c, { autoRegister: true });
    const codec = createCodec<unknown>(v1);
    expect(resolver.cachedId(subject, codec)).toBeUndefined();
    const ids = await Promise.all(Array.from({ length: 25 }, () => resolver.idFor(subject, codec)));
    expect(resolver.cachedId(subject, codec)).toBe(ids[0]);
    expect(new Set(ids).size).toBe(1);
    expect(calls.get('register')).toBe(1);
    await resolver.idFor(subject, codec);
    expect(calls.get('register')).toBe(1);
    const writers = await Promise.all(Array.from({ length: 10 }, () => resolver.schemaFor(ids[0] as number)));
    expect(writers[0]?.fingerprint).toBe(codec.fingerprint);
    expect(calls.get('schemaById')).toBe(1);
  });

  it('without autoRegister an unregistered schema is an error, and is asked again next time', async () => {
    const subject = fresh('orders-com.example.reg.Placed');
    const { client: c, calls } = counting(client);
    const resolver = createSchemaIdResolver(c);
    const codec = createCodec<unknown>(v1);
    await expect(resolver.idFor(subject, codec)).rejects.toThrow(/is not registered under subject/);
    const id = await client.register(subject, stringifySchema(v1));
    expect(await resolver.idFor(subject, codec)).toBe(id);
    expect(calls.get('lookup')).toBe(2);
  });

  it('readerFor resolves a writer id to the reader version, with exact long defaults from the registry text', async () => {
    const subject = fresh('orders-com.example.reg.Placed');
    const writerId = await client.register(subject, stringifySchema(v1));
    const resolver = createSchemaIdResolver(client);
    const reader = await resolver.readerFor(writerId, createCodec<unknown>(v2));
    expect(reader.fromBinary(createCodec<unknown>(v1).toBinary({ n: 5 }))).toEqual({ n: 5n, big: 2n ** 63n - 1n });
    // v2 data cannot be read as v1 (long → int): the reason names Avro's incompatibility.
    const v2Id = await client.register(fresh('x'), stringifySchema(v2));
    await expect(resolver.readerFor(v2Id, createCodec<unknown>(v1))).rejects.toThrow(/registry schema id \d+: cannot read .*TYPE_MISMATCH at \/fields\/0\/type/);
  });
});
