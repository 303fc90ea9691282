// The Avro binary codec (built: dist/) against raw avsc on the same schemas, in one process:
// encode + decode of one value per operation.
//
// - eventsmith: createCodec (compiled per schema; bigint longs, exact decimal strings, Dates).
// - generic: the same codec without the compiled path (toDatum → avsc → fromDatum), what
//   createCodec did before.
// - raw avsc: avsc.Type.forSchema(schema) with its defaults: longs as (inexact) numbers,
//   decimals as raw bytes, timestamps as numbers — the same data, none of the exactness.
//
// Rounds alternate which side goes first; each figure is the median over rounds, and the
// ratio is the median of each round's (raw avsc time / our time): ≥ 0.5 is the target.
//
// Usage: npm run bench:codec [-- --runs 9]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { median, runsFromArgv } from './timing.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { createCodec, createGenericCodec } = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/avro.js')).href);

const runs = runsFromArgv(process.argv, 9);
const OPS = 20_000;

const decimal = (precision, scale) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });
/** Unscaled two's-complement bytes of a decimal string, what raw avsc is given for a decimal field. */
function decimalBytes(text, scale) {
  const [i, f = ''] = text.replace('-', '').split('.');
  let n = BigInt(i + f.padEnd(scale, '0'));
  if (text.startsWith('-')) n = -n;
  let length = 1;
  while (n < -(1n << BigInt(8 * length - 1)) || n >= 1n << BigInt(8 * length - 1)) length++;
  const out = Buffer.alloc(length);
  let v = BigInt.asUintN(8 * length, n);
  for (let k = length - 1; k >= 0; k--) { out[k] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

const placedAt = new Date('2026-12-06T10:15:30.123Z');
const cases = [
  {
    name: 'OrderPlaced (flat event)',
    schema: {
      type: 'record', name: 'OrderPlaced', namespace: 'bench', fields: [
        { name: 'orderId', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'customerId', type: 'string' },
        { name: 'total', type: decimal(12, 2) },
        { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'items', type: 'int' },
        { name: 'sequence', type: 'long' },
      ],
    },
    ours: { orderId: '5f0c7e1a-7d1b-4a51-9a8e-0c2f3b6d9e11', customerId: 'customer-4711', total: '1234.50', placedAt, items: 3, sequence: 42n },
    raw: { orderId: '5f0c7e1a-7d1b-4a51-9a8e-0c2f3b6d9e11', customerId: 'customer-4711', total: decimalBytes('1234.50', 2), placedAt: placedAt.getTime(), items: 3, sequence: 42 },
  },
  (() => {
    const lines = [['SKU-1', 2, '19.99'], ['SKU-22', 1, '5.00'], ['SKU-333', 10, '0.35'], ['SKU-4444', 1, '149.00']];
    return {
      name: 'OrderShipped (array of records, enum, union, map)',
      schema: {
        type: 'record', name: 'OrderShipped', namespace: 'bench', fields: [
          { name: 'orderId', type: 'string' },
          { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'quantity', type: 'int' }, { name: 'price', type: decimal(10, 2) }] } } },
          { name: 'carrier', type: { type: 'enum', name: 'Carrier', symbols: ['DHL', 'UPS', 'FEDEX'] } },
          { name: 'note', type: ['null', 'string'], default: null },
          { name: 'labels', type: { type: 'map', values: 'string' } },
        ],
      },
      ours: { orderId: 'o-981', lines: lines.map(([sku, quantity, price]) => ({ sku, quantity, price })), carrier: 'UPS', note: 'leave at the door', labels: { gate: 'B', floor: '3' } },
      raw: { orderId: 'o-981', lines: lines.map(([sku, quantity, price]) => ({ sku, quantity, price: decimalBytes(price, 2) })), carrier: 'UPS', note: 'leave at the door', labels: { gate: 'B', floor: '3' } },
    };
  })(),
  {
    name: 'Reading (numbers, nested record, nullable long)',
    schema: {
      type: 'record', name: 'Reading', namespace: 'bench', fields: [
        { name: 'sensor', type: { type: 'fixed', name: 'SensorId', size: 8 } },
        { name: 'ok', type: 'boolean' },
        { name: 'celsius', type: 'double' },
        { name: 'humidity', type: 'float' },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'location', type: { type: 'record', name: 'Location', fields: [{ name: 'lat', type: 'double' }, { name: 'lon', type: 'double' }, { name: 'site', type: 'string' }] } },
        { name: 'previous', type: ['null', 'long'] },
      ],
    },
    ours: { sensor: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), ok: true, celsius: 21.5, humidity: 0.5, day: '2026-12-06', at: 1_796_000_000_123_456n, location: { lat: 52.52, lon: 13.405, site: 'Berlin-3' }, previous: 1_795_999_000_000_000n },
    raw: { sensor: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), ok: true, celsius: 21.5, humidity: 0.5, day: 20_793, at: 1_796_000_000_123_456, location: { lat: 52.52, lon: 13.405, site: 'Berlin-3' }, previous: 1_795_999_000_000_000 },
  },
];
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function timeOps(roundTrip) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) roundTrip();
  return Number(process.hrtime.bigint() - t0) / OPS;
}

console.log(`codec encode+decode, ${OPS.toLocaleString('en-US')} ops × ${runs} rounds per side, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const c of cases) {
  const ours = createCodec(c.schema);
  const generic = createGenericCodec(c.schema);
  const raw = avsc.Type.forSchema(c.schema);
  // Same bytes on both sides, or the comparison is meaningless.
  const bytes = ours.toBinary(c.ours);
  if (!Buffer.from(bytes).equals(raw.toBuffer(c.raw))) throw new Error(`${c.name}: our bytes differ from raw avsc's`);
  const sides = {
    eventsmith: () => ours.fromBinary(ours.toBinary(c.ours)),
    generic: () => generic.fromBinary(generic.toBinary(c.ours)),
    'raw avsc': () => raw.fromBuffer(raw.toBuffer(c.raw)),
  };
  for (const f of Object.values(sides)) for (let i = 0; i < 2_000; i++) f(); // warm-up
  const ns = { eventsmith: [], generic: [], 'raw avsc': [] };
  const ratios = { eventsmith: [], generic: [] };
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? ['eventsmith', 'generic', 'raw avsc'] : ['raw avsc', 'generic', 'eventsmith'];
    const round = {};
    for (const side of order) round[side] = timeOps(sides[side]);
    for (const side of Object.keys(ns)) ns[side].push(round[side]);
    ratios.eventsmith.push(round['raw avsc'] / round.eventsmith);
    ratios.generic.push(round['raw avsc'] / round.generic);
  }
  console.log(`\n${c.name} (${bytes.length} bytes)`);
  console.log(`  raw avsc     ${fmt(median(ns['raw avsc']))} ns/op`);
  console.log(`  eventsmith   ${fmt(median(ns.eventsmith))} ns/op   ${fmt(median(ratios.eventsmith), 2)}× raw avsc's speed`);
  console.log(`  generic      ${fmt(median(ns.generic))} ns/op   ${fmt(median(ratios.generic), 2)}× raw avsc's speed (before the compiled path)`);
}
