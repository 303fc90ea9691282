// The stored context of the example's PlaceOrder saga (generated-example: OrderPlaced v2 with
// three items as its start, StockReserved and PaymentCaptured v2 as step events), decoded and
// encoded as the saga engine does per transition (saga/typed.ts: decodeContext of the row's
// context, recordStep, encodeContext), with the Avro JSON codecs of the built runtime (dist/):
//
// - compiled: createCodec (compiled-json.ts: JSON.parse, a per-schema converter, and a
//   per-schema encoder that also checks each decoded text is the canonical one).
// - generic: createGenericCodec (json-text.ts's parser → jsonToDatum → fromDatum, and
//   toDatum → datumToJson), what createCodec's JSON path did before.
//
// Rounds alternate which side goes first; figures are medians over rounds, the ratio the median
// of each round's (generic time / compiled time).
//
// Usage: npm run bench:saga-state [-- --runs 9]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, runsFromArgv } from './timing.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runtime = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);
const { createCodec, createGenericCodec } = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/avro.js')).href);
const { orchestration } = runtime;

const runs = runsFromArgv(process.argv, 9);
const OPS = 20_000;
const avro = (name) => JSON.parse(readFileSync(path.join(root, 'generated-example/src/generated/orders/avro', `com.example.orders.${name}.avsc`), 'utf8'));
const schemas = {
  'com.example.orders.order.placed': avro('order.placed.v2'),
  'com.example.orders.inventory.stockreserved': avro('inventory.stockreserved.v1'),
  'com.example.orders.payment.captured': avro('payment.captured.v2'),
};

const orderId = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const money = (amount) => ({ amount, currency: 'EUR' });
const start = {
  id: '0190a1b2-0000-7000-8000-000000000001',
  type: 'com.example.orders.order.placed',
  aggregateId: orderId,
  data: {
    customerId: 'customer-42',
    items: [
      { productId: 'sku-1', quantity: 2, unitPrice: money('19.99') },
      { productId: 'sku-2', quantity: 1, unitPrice: money('5.00') },
      { productId: 'sku-3', quantity: 4, unitPrice: money('120.50') },
    ],
    total: money('527.98'),
    shippingAddress: { line1: '1 Main Street', line2: null, city: 'Springfield', postalCode: '12345', country: 'US' },
  },
};
const reserved = { id: '0190a1b2-0000-7000-8000-000000000002', type: 'com.example.orders.inventory.stockreserved', aggregateId: 'sku-1', data: { orderId, quantity: 7 } };
const captured = {
  id: '0190a1b2-0000-7000-8000-000000000003',
  type: 'com.example.orders.payment.captured',
  aggregateId: orderId,
  data: { orderId, amount: money('527.98'), method: 'card', capturedAt: 1_733_500_000_123_456n, pspReference: 'psp-000123' },
};

function sideOf(make) {
  const codecs = Object.fromEntries(Object.entries(schemas).map(([type, schema]) => [type, make(schema)]));
  const def = orchestration({
    name: 'PlaceOrder',
    startedBy: start.type,
    correlate: (e) => e.aggregateId,
    codecs,
    steps: [],
    retry: { maxAttempts: 3, backoffMs: 1000 },
  });
  // The row after the stock was reserved; the transition records the payment.
  const ctx = def.recordStep(def.initialContext(start), 'reserveStock', reserved);
  const stored = JSON.parse(JSON.stringify(def.encodeContext(ctx)));
  const transition = () => def.encodeContext(def.recordStep(def.decodeContext(stored), 'capturePayment', captured));
  const placed = codecs['com.example.orders.order.placed'];
  const text = placed.toJson(start.data);
  return { transition, decode: () => placed.fromJson(text), encode: () => placed.toJson(start.data), out: JSON.stringify(transition()) };
}

const compiled = sideOf(createCodec);
const generic = sideOf(createGenericCodec);
if (compiled.out !== generic.out) throw new Error(`the two sides store different contexts:\n${compiled.out}\n${generic.out}`);

function time(fn) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) sink += fn() === undefined ? 0 : 1;
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink !== OPS) throw new Error('lost a result');
  return ns / OPS / 1000;
}
const cases = ['transition', 'decode', 'encode'];
const results = Object.fromEntries(cases.map((c) => [c, { compiled: [], generic: [], ratio: [] }]));
for (let w = 0; w < 3; w++) for (const c of cases) time(compiled[c]), time(generic[c]);
for (let r = 0; r < runs; r++) {
  for (const c of cases) {
    const first = r % 2 === 0 ? 'compiled' : 'generic';
    const sides = first === 'compiled' ? [['compiled', compiled], ['generic', generic]] : [['generic', generic], ['compiled', compiled]];
    const t = {};
    for (const [name, side] of sides) t[name] = time(side[c]);
    results[c].compiled.push(t.compiled);
    results[c].generic.push(t.generic);
    results[c].ratio.push(t.generic / t.compiled);
  }
}
const what = {
  transition: 'decodeContext + recordStep + encodeContext (start + 2 steps)',
  decode: 'OrderPlaced v2 fromJson',
  encode: 'OrderPlaced v2 toJson',
};
console.log(`${runs} rounds × ${OPS} ops; µs per op, median (min–max); load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const c of cases) {
  const f = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  console.log(`${what[c].padEnd(62)} compiled ${f(results[c].compiled)}  generic ${f(results[c].generic)}  generic/compiled ${median(results[c].ratio).toFixed(2)}x`);
}
