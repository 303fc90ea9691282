import { describe, expect, test } from 'vitest';
import type { TypeRef } from '../../generator/core/model.js';
import { checkValue, parseDate, parseTimestamp } from '../../generator/resolve/defaults.js';

const env = { defaultOf: () => undefined };
const t = {
  int: { kind: 'primitive', name: 'int' },
  long: { kind: 'primitive', name: 'long' },
  float: { kind: 'primitive', name: 'float' },
  dec: { kind: 'decimal', precision: 5, scale: 2 },
  ts: { kind: 'logical', name: 'timestamp-millis' },
  us: { kind: 'logical', name: 'timestamp-micros' },
  time: { kind: 'logical', name: 'time-millis' },
  optInt: { kind: 'optional', type: { kind: 'primitive', name: 'int' } },
} satisfies Record<string, TypeRef>;

function value(raw: unknown, type: TypeRef, optionalMustBeNull = true): unknown {
  const r = checkValue(raw, type, env, { optionalMustBeNull });
  return r.ok ? r.value : `error: ${r.message}`;
}

describe('checkValue', () => {
  test.each([
    ['12.5', t.dec, '12.50'],
    [12.5, t.dec, '12.50'],
    ['-000.1', t.dec, '-0.10'],
    ['+7', t.dec, '7.00'],
    ['-0.00', t.dec, '0.00'],
    ['999.99', t.dec, '999.99'],
    [1e21, t.dec, 'error: 1e+21 is not a valid decimal(5,2): too many digits to be exact as a YAML number; quote it'],
    ['1000', t.dec, 'error: "1000" is not a valid decimal(5,2): at most 3 digits before the point'],
    ['1.', t.dec, 'error: "1." is not a valid decimal(5,2): expected decimal text such as "12.50"'],
    [2 ** 53 - 1, t.long, 2n ** 53n - 1n],
    // A YAML number past 2^53 arrives as bigint; a double that large may already be rounded.
    [2 ** 53, t.long, 'error: 9007199254740992 is not a valid long: expected a 64-bit integer'],
    [-(2n ** 63n), t.long, -(2n ** 63n)],
    [1.5, t.long, 'error: 1.5 is not a valid long: expected a 64-bit integer'],
    [Number.NaN, t.float, 'error: null is not a valid float: expected a finite number (JSON has no NaN or Infinity)'],
    [1e39, t.float, 'error: 1e+39 is not a valid float: out of the float range'],
    [0, t.ts, 0],
    ['1970-01-01T00:00:00.001Z', t.ts, 1],
    ['1969-12-31T23:00:00-01:00', t.ts, 0],
    ['2024-01-31T12:00:00.0001Z', t.ts, 'error: "2024-01-31T12:00:00.0001Z" is not a valid timestamp-millis: timestamp-millis holds milliseconds; drop the extra fraction digits'],
    ['1970-01-01T00:00:01.000002Z', t.us, 1_000_002n],
    [86_400_000, t.time, 'error: 86400000 is not a valid time-millis: expected milliseconds after midnight, 0 to 86399999'],
    [null, t.optInt, null],
  ] as const)('%s as %o', (raw, type, want) => {
    expect(value(raw, type)).toEqual(want);
  });

  test('literals (not defaults) may give an optional a value', () => {
    expect(value(5, t.optInt)).toMatch(/must be null/);
    expect(value(5, t.optInt, false)).toBe(5);
  });

  test('dates and timestamps', () => {
    expect(parseDate('1970-01-01')).toBe(0);
    expect(parseDate('2000-02-29')).toBe(11016);
    expect(parseDate('1900-02-29')).toBeUndefined();
    expect(parseDate('2024-13-01')).toBeUndefined();
    expect(parseTimestamp('2024-01-31T24:00:00Z')).toBeUndefined();
    expect(parseTimestamp('0001-01-01T00:00:00Z')?.micros).toBe(-62135596800000000n);
  });
});
