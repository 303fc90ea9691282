// The schema registry runtime (built: dist/) against a throwaway Kafka broker and a throwaway
// Apicurio Registry (generator/dev/), each figure beside its baseline in the same run:
//
// 1. Publish: publishEnvelope with registry framing (the resolver's id, cached after the first
//    use) versus the same envelopes unframed, `BATCH` publishes at once, rounds alternating
//    which side goes first; messages/s, ratio = median of each round's framed/unframed.
// 2. First-use id lookup: a fresh resolver (empty cache) asking for the id of a schema the subject
//    already holds (one POST /subjects/{s}), and of a new one with autoRegister (register); the
//    cached call after it, for scale.
// 3. Decode: a v1 → v2 resolved reader (Avro schema resolution, a writer id's schema) versus the
//    v2 codec decoding v2 bytes (same version), ns per value.
//
// Usage: npm run bench:registry [-- --runs 7]
// KAFKA_BROKERS and SCHEMA_REGISTRY_URL, if set, are used instead of throwaway servers.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startRegistry } from '../generator/dev/registry.mjs';
import { BENCH_BROKER, median, runsFromArgv } from './timing.mjs';

const { Kafka, logLevel } = kafkajs;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const rt = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);
const { KafkaPublisher, createCodec, createRegistryClient, createSchemaIdResolver, ensureTopics, makeEnvelope, publishEnvelope, stringifySchema } = rt;

const runs = runsFromArgv(process.argv, 7);
const BATCH = 100;
const PER_PASS = 3_000;
const TYPE = 'com.example.counters.counter.incremented';
const v1 = { type: 'record', name: 'Incremented', namespace: 'com.example.counters', fields: [{ name: 'seq', type: 'int' }, { name: 'by', type: 'long' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: 'string', default: '' }] };
const codecV1 = createCodec(v1);
const codecV2 = createCodec(v2);
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const [broker, registry] = await Promise.all([startKafka(BENCH_BROKER), startRegistry()]);
try {
  const kafka = new Kafka({ clientId: 'bench-registry', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  const client = createRegistryClient({ url: registry.url });
  const topic = `bench-registry-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 6 }]);
  const subject = `${topic}-com.example.counters.Incremented`;
  const binding = { resolver: createSchemaIdResolver(client, { autoRegister: true }), subject: () => subject };
  const envelopes = Array.from({ length: PER_PASS }, (_, i) =>
    makeEnvelope({ type: TYPE, dataversion: 2, source: 'urn:bench', subject: `agg-${i % 500}`, data: { seq: i, by: BigInt(i) * 10n, note: `n${i}` } }));
  const pass = async (framed) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < envelopes.length; i += BATCH) {
      await Promise.all(envelopes.slice(i, i + BATCH).map((e) => publishEnvelope(publisher, topic, e, codecV2, framed ? { registry: binding } : {})));
    }
    return PER_PASS / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await pass(true); // warm-up (and the id's first use)
  await pass(false);
  const framedRates = [];
  const plainRates = [];
  const ratios = [];
  for (let r = 0; r < runs; r++) {
    const first = r % 2 === 0;
    const a = await pass(first);
    const b = await pass(!first);
    const [f, p] = first ? [a, b] : [b, a];
    framedRates.push(f);
    plainRates.push(p);
    ratios.push(f / p);
  }
  await publisher.disconnect();

  // 2. first-use lookups
  await client.register(subject, stringifySchema(v1));
  const lookups = [];
  const registers = [];
  const cached = [];
  for (let r = 0; r < Math.max(15, runs * 3); r++) {
    const resolver = createSchemaIdResolver(client);
    let t0 = process.hrtime.bigint();
    await resolver.idFor(subject, codecV1);
    lookups.push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    await resolver.idFor(subject, codecV1);
    cached.push(Number(process.hrtime.bigint() - t0) / 1e3);
    const fresh = { ...v1, fields: [...v1.fields, { name: `f${r}`, type: 'int', default: r }] };
    const registering = createSchemaIdResolver(client, { autoRegister: true });
    t0 = process.hrtime.bigint();
    await registering.idFor(`${subject}-${r}`, createCodec(fresh));
    registers.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  // 3. decode
  const n = 200_000;
  const bytesV1 = codecV1.toBinary({ seq: 42, by: 4_200n });
  const bytesV2 = codecV2.toBinary({ seq: 42, by: 4_200n, note: 'n42' });
  const resolved = codecV2.readerFor(v1);
  // The same fields under another namespace: a different fingerprint, so the resolving path, on the same bytes.
  const resolvedSame = codecV2.readerFor({ ...v2, namespace: 'com.example.other' });
  const time = (f) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    return Number(process.hrtime.bigint() - t0) / n;
  };
  time(() => codecV2.fromBinary(bytesV2));
  time(() => resolved.fromBinary(bytesV1));
  const same = [];
  const res = [];
  const resSame = [];
  for (let r = 0; r < runs; r++) {
    same.push(time(() => codecV2.fromBinary(bytesV2)));
    res.push(time(() => resolved.fromBinary(bytesV1)));
    resSame.push(time(() => resolvedSame.fromBinary(bytesV2)));
  }

  console.log(`registry bench: ${runs} rounds, ${PER_PASS} messages per pass, ${BATCH} at once; node ${process.version}\n`);
  console.log('| publish | msg/s (median) | vs unframed (median of round ratios) |');
  console.log('|---|---:|---:|');
  console.log(`| unframed (CloudEvents dataschema only) | ${fmt(median(plainRates))} | 1.00 |`);
  console.log(`| Confluent-framed, id from the resolver | ${fmt(median(framedRates))} | ${fmt(median(ratios), 2)} |\n`);
  console.log('| schema id, first use | median ms | min ms | max ms |');
  console.log('|---|---:|---:|---:|');
  const row = (name, xs, unit = 2) => console.log(`| ${name} | ${fmt(median(xs), unit)} | ${fmt(Math.min(...xs), unit)} | ${fmt(Math.max(...xs), unit)} |`);
  row('lookup of a registered schema (fresh cache)', lookups);
  row('register a new schema (autoRegister)', registers);
  console.log(`| cached (same resolver, after the first use) | ${fmt(median(cached) / 1000, 4)} | | |\n`);
  console.log('| decode one value | ns (median) | vs same-version |');
  console.log('|---|---:|---:|');
  console.log(`| v2 bytes with the v2 codec (same version) | ${fmt(median(same))} | 1.00 |`);
  console.log(`| v2 bytes through a resolver (same fields, other namespace: the resolving path) | ${fmt(median(resSame))} | ${fmt(median(resSame) / median(same), 2)} |`);
  console.log(`| v1 bytes resolved to v2 (one field fewer to read, its default filled) | ${fmt(median(res))} | ${fmt(median(res) / median(same), 2)} |`);
  console.log(`\nload average after: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await Promise.all([broker.stop(), registry.stop()]);
}
