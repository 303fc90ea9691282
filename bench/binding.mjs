// A consumer's first step on every message: a binary-mode Kafka record (14 headers, as the
// relay sends an event of the example) read as a checked CloudEvent, in one process.
//
// - eventsmith: decodeCloudEvent of this build (dist/): every attribute checked (URI grammars,
//   RFC 3339 time, extension names), errors collected, never an exception.
// - the official SDK: cloudevents' Kafka.toEvent on the same record, which validates the event
//   it builds (its default): the reference point. It reads headers as strings, so a consumer on
//   KafkaJS converts them first; that is timed with it.
// - before (with --before <repo dir>): decodeCloudEvent of another build, e.g. a clone of an
//   earlier commit, built.
//
// Rounds alternate which side goes first; each figure is the median over rounds, each ratio the
// median of the rounds' ratios.
//
// Usage: npm run build && node bench/binding.mjs [--runs 9] [--before /tmp/clone]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka } from 'cloudevents';
import { EXAMPLE_EVENT as event, exampleData } from './example-event.mjs';
import { median, runsFromArgv } from './timing.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (dir) => import(pathToFileURL(path.join(dir, 'dist/generator/runtime/kafka/binding.js')).href);
const { encodeBinary, decodeCloudEvent } = await load(root);
const beforeAt = process.argv.indexOf('--before');
const before = beforeAt > 0 ? (await load(path.resolve(process.argv[beforeAt + 1]))).decodeCloudEvent : undefined;

const runs = runsFromArgv(process.argv, 9);
const OPS = 50_000;

const out = encodeBinary(event, exampleData());
// As KafkaJS delivers it: key, value and every header value as Buffers.
const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k, Buffer.from(String(v))]));
const record = { key: Buffer.from(String(out.key)), value: Buffer.from(out.value), headers };
const timestamp = String(Date.now());

const sides = {
  eventsmith: () => {
    const r = decodeCloudEvent(record);
    if (!r.ok) throw new Error(r.errors.join('; '));
  },
  'cloudevents SDK': () => {
    const texts = {};
    for (const name of Object.keys(record.headers)) texts[name] = record.headers[name].toString('utf8');
    Kafka.toEvent({ key: record.key.toString('utf8'), value: record.value, headers: texts, body: record.value, timestamp });
  },
  ...(before ? { before: () => {
    const r = before(record);
    if (!r.ok) throw new Error(r.errors.join('; '));
  } } : {}),
};

function timeSide(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / OPS;
}

for (const fn of Object.values(sides)) timeSide(fn); // warm-up
const names = Object.keys(sides);
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < runs; r++) {
  const order = r % 2 === 0 ? names : [...names].reverse();
  for (const n of order) samples[n].push(timeSide(sides[n]));
}
console.log(`node ${process.version}; ${runs} rounds of ${OPS.toLocaleString('en-US')} records; ${Object.keys(headers).length} headers, ${record.value.length}-byte value`);
for (const n of names) {
  const ns = median(samples[n]);
  const ratio = n === 'eventsmith' ? '' : `   eventsmith is ${median(samples[n].map((s, i) => s / samples.eventsmith[i])).toFixed(2)}× as fast`;
  console.log(`  ${n.padEnd(16)} ${Math.round(ns).toLocaleString('en-US').padStart(7)} ns/record${ratio}`);
}
