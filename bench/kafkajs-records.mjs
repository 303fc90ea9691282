// What KafkaJS itself spends on a message, by how many headers it carries: the client-side
// floor under the relay (every row it publishes goes through this encoding) and under every
// consumer (through this decoding), whatever eventsmith does around it.
//
// Four records, each through KafkaJS's own record-batch code, in batches of 1,000 as the relay
// sends them (no broker: the protocol encoding alone); the first three are one event of the
// example:
// - binary: the CloudEvents binary mode eventsmith publishes by default, one `ce_*` header per
//   attribute (14 here) and the Avro data as the value;
// - structured: the JSON event format, every attribute in the value, one `content-type` header;
// - no headers: the binary record's key and value alone (what a message without headers costs);
// - the relay bench's message: bench/kafka.mjs's counter event (11 headers), built as the relay
//   builds it from its outbox row (outboxRecordToMessage), so that its relay figures compare with
//   the encoding of the very record they send.
//
// Encoding is what `producer.send` does per message (one Record encoder, one per header) and per
// batch, given the key and value as the relay hands them over (a string and a Buffer); decoding
// is what the consumer does with a fetched batch. Rounds alternate the order; each figure is the
// median over rounds.
//
// Usage: npm run build && node bench/kafkajs-records.mjs [--runs 9]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXAMPLE_EVENT as event, exampleData } from './example-event.mjs';
import { median, runsFromArgv } from './timing.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
// KafkaJS has no exports map: its protocol modules are the ones its producer and consumer use.
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const { encodeBinary, encodeStructured, newEventFor, outboxRecordToMessage } = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);
const { incremented } = await import('./counter-event.mjs');

const runs = runsFromArgv(process.argv, 9);
const BATCH = 1_000;
const BATCHES = 20;

const data = exampleData();
const binary = encodeBinary(event, data);
const structured = encodeStructured({ ...event, datacontenttype: 'application/octet-stream' }, data);
const shapes = {
  binary,
  structured,
  'no headers': { key: binary.key, value: binary.value, headers: {} },
  'relay bench (bench/kafka.mjs)': relayBenchMessage(),
};

/** bench/kafka.mjs's relay message: an appended counter event's outbox row, as the relay sends it. */
function relayBenchMessage() {
  const e = incremented('5f0b6c1e-8d2a-4c3b-9e4f-1a2b3c4d5e6f', 12);
  const entry = newEventFor(e.event, e.data, { topic: 'bench-relay' }).outbox;
  return outboxRecordToMessage({ txid: '1', position: '1', aggregateId: entry.key, topic: entry.topic, payload: Buffer.from(entry.payload), headers: entry.headers, contentType: entry.contentType });
}

async function encodeBatch(shape) {
  const records = [];
  for (let i = 0; i < BATCH; i++) {
    records.push(Record({ offsetDelta: i, timestampDelta: 0, key: shape.key, value: shape.value, headers: shape.headers }));
  }
  const batch = await RecordBatch({ compression: 0, firstOffset: 0n, firstTimestamp: Date.now(), maxTimestamp: Date.now(), records });
  return batch.buffer;
}

async function timeEncode(shape) {
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) await encodeBatch(shape);
  return Number(process.hrtime.bigint() - t0) / (BATCH * BATCHES);
}

async function timeDecode(buffer) {
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) {
    const decoded = await decodeRecordBatch(new Decoder(buffer));
    if (decoded.records.length !== BATCH) throw new Error(`bench: decoded ${decoded.records.length} records, expected ${BATCH}`);
  }
  return Number(process.hrtime.bigint() - t0) / (BATCH * BATCHES);
}

const names = Object.keys(shapes);
const encoded = {};
for (const n of names) {
  encoded[n] = await encodeBatch(shapes[n]);
  await timeEncode(shapes[n]); // warm-up
  await timeDecode(encoded[n]);
}
const samples = Object.fromEntries(names.map((n) => [n, { encode: [], decode: [] }]));
for (let r = 0; r < runs; r++) {
  for (const n of r % 2 === 0 ? names : [...names].reverse()) {
    samples[n].encode.push(await timeEncode(shapes[n]));
    samples[n].decode.push(await timeDecode(encoded[n]));
  }
}
const ns = (x) => Math.round(x).toLocaleString('en-US').padStart(7);
console.log(`node ${process.version}; ${runs} rounds of ${(BATCH * BATCHES).toLocaleString('en-US')} records in batches of ${BATCH.toLocaleString('en-US')}`);
console.log('| record | headers | bytes per record | KafkaJS encode ns/record | KafkaJS decode ns/record |');
console.log('|---|---:|---:|---:|---:|');
for (const n of names) {
  const s = shapes[n];
  const headerCount = Object.keys(s.headers).length;
  console.log(`| ${n} | ${headerCount} | ${Math.round(encoded[n].length / BATCH)} | ${ns(median(samples[n].encode))} | ${ns(median(samples[n].decode))} |`);
}
const perHeader = (which) => median(samples.binary[which].map((b, i) => (b - samples['no headers'][which][i]) / Object.keys(binary.headers).length));
console.log(`each header: ${ns(perHeader('encode')).trim()} ns to encode, ${ns(perHeader('decode')).trim()} ns to decode (binary minus no headers, over ${Object.keys(binary.headers).length})`);
