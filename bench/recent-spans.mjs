// The example service keeps its last 100,000 finished spans in memory (GET /traces/:orderId).
// Once full, each span ended must drop the oldest: this measures that per span, the ring
// (generated-example/src/service/telemetry.ts) against the array it replaced (push, then splice
// of the head, as the example did until 2026-12-07), both filled first, sides alternated.
// Usage: node bench/recent-spans.mjs (after `tsc -p generated-example`)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { RecentSpans } = await import(pathToFileURL(path.join(root, 'generated-example/dist/service/telemetry.js')).href);

const CAPACITY = 100_000;
const SPANS = 20_000;
const done = () => {};
const fake = (n) => ({ name: `span ${n}`, attributes: {}, links: [], spanContext: () => ({ traceId: '0'.repeat(32), spanId: String(n) }) });

/** The previous store: an array trimmed at its head. */
class ArrayStore {
  spans = [];
  export(spans, cb) {
    this.spans.push(...spans);
    if (this.spans.length > CAPACITY) this.spans.splice(0, this.spans.length - CAPACITY);
    cb({ code: 0 });
  }
}

function perSpan(make) {
  const store = make();
  for (let n = 0; n < CAPACITY; n++) store.export([fake(n)], done);
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < SPANS; n++) store.export([fake(CAPACITY + n)], done);
  return Number(process.hrtime.bigint() - t0) / SPANS / 1000;
}

const ring = [];
const array = [];
for (let round = 0; round < 3; round++) {
  if (round % 2 === 0) {
    array.push(perSpan(() => new ArrayStore()));
    ring.push(perSpan(() => new RecentSpans(CAPACITY)));
  } else {
    ring.push(perSpan(() => new RecentSpans(CAPACITY)));
    array.push(perSpan(() => new ArrayStore()));
  }
}
const fmt = (xs) => xs.map((x) => x.toFixed(3)).join(', ');
console.log(`node ${process.version}; ${SPANS.toLocaleString('en-US')} spans exported one at a time into a full store of ${CAPACITY.toLocaleString('en-US')}, 3 rounds`);
console.log(`array + splice of the head: ${fmt(array)} µs per span`);
console.log(`ring:                       ${fmt(ring)} µs per span`);
