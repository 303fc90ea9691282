// The example service's in-memory span store (generated-example/src/service/telemetry.ts): a ring
// of the last `capacity` spans, which GET /traces/:orderId reads.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { RecentSpans } from '../../generated-example/src/service/telemetry.js';

/** A finished span with what RecentSpans and toTraceSpan read. */
function span(n: number, traceId: string, key?: string, links: Array<{ traceId: string; spanId: string }> = []): ReadableSpan {
  const spanId = n.toString(16).padStart(16, '0');
  return {
    name: `span ${n}`,
    kind: 0,
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    parentSpanContext: undefined,
    startTime: [n, 0],
    duration: [0, 1000],
    status: { code: 0 },
    attributes: key === undefined ? {} : { 'messaging.kafka.message.key': key },
    links: links.map((context) => ({ context: { ...context, traceFlags: 1 } })),
    events: [],
  } as unknown as ReadableSpan;
}

function exportAll(store: RecentSpans, spans: ReadableSpan[]): void {
  store.export(spans, (result) => expect(result.code).toBe(0));
}

const trace = (c: string): string => c.repeat(32);

describe('RecentSpans', () => {
  it('keeps every span, oldest first, until it is full', () => {
    const store = new RecentSpans(4);
    exportAll(store, [span(1, trace('a')), span(2, trace('a'))]);
    exportAll(store, [span(3, trace('b'))]);
    expect(store.kept().map((s) => s.name)).toEqual(['span 1', 'span 2', 'span 3']);
  });

  it('then drops the oldest for each new one, across batches and wrap-arounds', () => {
    const store = new RecentSpans(3);
    for (let n = 1; n <= 10; n++) exportAll(store, [span(n, trace('a'))]);
    expect(store.kept().map((s) => s.name)).toEqual(['span 8', 'span 9', 'span 10']);
    exportAll(store, [span(11, trace('a')), span(12, trace('a')), span(13, trace('a')), span(14, trace('a'))]);
    expect(store.kept().map((s) => s.name)).toEqual(['span 12', 'span 13', 'span 14']);
  });

  it('traceOf: the spans of the key\'s trace and the batches linked to them, by start; dropped ones are gone', () => {
    const store = new RecentSpans(5);
    exportAll(store, [span(1, trace('a'), 'order-1'), span(2, trace('b'), 'order-2')]);
    exportAll(store, [span(3, trace('a')), span(4, trace('c'), undefined, [{ traceId: trace('a'), spanId: (3).toString(16).padStart(16, '0') }])]);
    expect(store.traceOf('order-1').map((s) => s.name)).toEqual(['span 1', 'span 3', 'span 4']);
    expect(store.traceOf('order-3')).toEqual([]);
    // Three more push spans 1–3 out: order-1's first span is gone, order-2's too.
    exportAll(store, [span(5, trace('d')), span(6, trace('d')), span(7, trace('d'))]);
    expect(store.traceOf('order-1')).toEqual([]);
    expect(store.kept().map((s) => s.name)).toEqual(['span 3', 'span 4', 'span 5', 'span 6', 'span 7']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new RecentSpans(capacity), String(capacity)).toThrow(RangeError);
  });
});
