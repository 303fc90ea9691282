// The W3C trace context checks behind the CloudEvents distributed-tracing extension: what is
// passed on, and what is ignored (never fatal) because it breaks the format.
import { describe, expect, it } from 'vitest';
import { formatTraceparent, isValidTracestate, parseTraceparent, readTraceHeaders } from '../../generator/runtime/telemetry/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${SPAN}-01`;

describe('traceparent', () => {
  it.each([
    ['version 00, sampled', VALID, { traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ['version 00, not sampled', `00-${TRACE}-${SPAN}-00`, { traceId: TRACE, spanId: SPAN, traceFlags: 0 }],
    ['a later version with more fields (read as 00)', `cc-${TRACE}-${SPAN}-01-what-the-future-holds`, { traceId: TRACE, spanId: SPAN, traceFlags: 1 }],
    ['a later version without more fields', `01-${TRACE}-${SPAN}-09`, { traceId: TRACE, spanId: SPAN, traceFlags: 9 }],
  ])('accepts %s', (_name, value, want) => {
    expect(parseTraceparent(value)).toEqual(want);
  });

  it.each([
    ['absent', undefined],
    ['not a string', 42],
    ['empty', ''],
    ['upper-case hex', VALID.toUpperCase()],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with an extra field', `${VALID}-00`],
    ['a later version whose extra part lacks the dash', `01-${TRACE}-${SPAN}-01x`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a non-hex character', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['whitespace around it', ` ${VALID} `],
    ['oversized (a later version with kilobytes of fields)', `01-${TRACE}-${SPAN}-01-${'a'.repeat(10_000)}`],
  ])('ignores %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('formats version 00 with two hex digits of flags', () => {
    expect(formatTraceparent(TRACE, SPAN, 1)).toBe(VALID);
    expect(parseTraceparent(formatTraceparent(TRACE, SPAN, 0))?.traceFlags).toBe(0);
  });
});

describe('tracestate', () => {
  it.each([
    ['one member', 'congo=t61rcWkgMzE'],
    ['two members with optional spaces', 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'],
    ['a multi-tenant key', 'fw529a3039@dt=d-1,congo=x'],
    ['32 members', Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',')],
  ])('passes on %s', (_name, value) => {
    expect(isValidTracestate(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['over 512 characters', `a=${'x'.repeat(250)},b=${'y'.repeat(250)},c=${'z'.repeat(20)}`],
    ['an upper-case key', 'Rojo=1'],
    ['a member without =', 'rojo'],
    ['a value with a comma-equals mix', 'rojo=a=b'],
    ['a duplicate key', 'rojo=1,rojo=2'],
    ['a value ending in a space', 'rojo=1 ,congo=2'.replace(' ,', '\u0000,')],
  ])('drops %s', (_name, value) => {
    expect(isValidTracestate(value)).toBe(false);
  });
});

describe('readTraceHeaders', () => {
  it('reads a valid pair, drops an invalid tracestate alone, and ignores an invalid traceparent with its tracestate', () => {
    expect(readTraceHeaders((n) => ({ traceparent: VALID, tracestate: 'a=1' })[n])).toEqual({ traceparent: VALID, tracestate: 'a=1' });
    expect(readTraceHeaders((n) => ({ traceparent: VALID, tracestate: 'A=1' })[n])).toEqual({ traceparent: VALID });
    expect(readTraceHeaders((n) => ({ traceparent: 'garbage', tracestate: 'a=1' })[n])).toBeUndefined();
  });
});
