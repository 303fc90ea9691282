// The compiled binary codec (generator/runtime/compiled.ts) against the generic path it
// short-cuts: same bytes, same values, and the same errors for invalid values and bytes.
// Reproduce a failure with AVRO_COMPILED_SEED=<seed printed in the failure>.
import { describe, expect, it } from 'vitest';
import { createCodec, createGenericCodec } from '../../generator/runtime/avro.js';
import type { AvroSchemaJson } from '../../generator/runtime/index.js';
import { mutateValue, randomDocument } from './arbitrary.js';
import { exactDiff, hex, Rng } from './helpers.js';

const BASE_SEED = Number(process.env['AVRO_COMPILED_SEED'] ?? 0xc0de);
const SCHEMAS = 30;
const VALUES_PER_SCHEMA = 60;

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const ODD_VALUES: readonly unknown[] = [
  null, undefined, true, 0, -0, 1.5, -1, 2 ** 31, -(2 ** 31) - 1, 86_400_000, Number.NaN, 2 ** 53, '', 'x', '\uD800', 'a\uDC00b',
  '1.234', '-0.5', '99999999999999999999', '2024-02-30', '2024-02-29', '00000000-0000-0000-0000-00000000000g', 12n,
  2n ** 63n, -(2n ** 63n) - 1n, 2n ** 62n, new Date(Number.NaN), new Date(8.64e15), new Uint8Array(3), new Uint8Array(16), [], [1],
  {}, { a: 1 }, { null: null }, { string: 'x' }, { int: 1, long: 1n },
];

const odd = (rng: Rng): unknown => ODD_VALUES[rng.int(0, ODD_VALUES.length - 1)];

function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  switch (rng.int(0, 4)) {
    case 0: return new Uint8Array(out.slice(0, rng.int(0, out.length)));
    case 1: return new Uint8Array([...out, ...rng.bytes(rng.int(1, 3))]);
    case 2: return rng.bytes(rng.int(0, 24));
    default: {
      for (let n = rng.int(1, 3); n > 0 && out.length > 0; n--) out[rng.int(0, out.length - 1)] = rng.pick([0, 1, 2, 0x7f, 0x80, 0xff, rng.int(0, 255)]);
      return new Uint8Array(out);
    }
  }
}

function sameOutcome(fast: Outcome, slow: Outcome, compare: (a: unknown, b: unknown) => string | undefined): string | undefined {
  if (fast.ok !== slow.ok) return `compiled ${fast.ok ? 'succeeded' : `failed (${(fast as { error: string }).error})`}, generic ${slow.ok ? 'succeeded' : `failed (${(slow as { error: string }).error})`}`;
  if (!fast.ok || !slow.ok) return fast.ok || slow.ok || fast.error === slow.error ? undefined : `errors differ: ${fast.error} / ${slow.error}`;
  return compare(fast.value, slow.value);
}

const sameBytes = (a: unknown, b: unknown): string | undefined => (hex(a as Uint8Array) === hex(b as Uint8Array) ? undefined : `bytes ${hex(a as Uint8Array)} !== ${hex(b as Uint8Array)}`);

function check(seed: number): void {
  const rng = new Rng(seed);
  const doc = randomDocument(rng);
  const fast = createCodec<unknown>(doc.schema);
  const slow = createGenericCodec<unknown>(doc.schema);
  const fail = (what: string): never => {
    throw new Error(`${what}\n  seed ${seed} (AVRO_COMPILED_SEED=${BASE_SEED}, schema #${seed - BASE_SEED})\n  schema ${JSON.stringify(doc.schema)}`);
  };
  for (let i = 0; i < VALUES_PER_SCHEMA; i++) {
    const value = doc.value(rng);
    const bytes = slow.toBinary(value);
    const encoded = sameOutcome(attempt(() => fast.toBinary(value)), { ok: true, value: bytes }, sameBytes);
    if (encoded !== undefined) fail(`value #${i}: ${encoded}`);
    const decoded = sameOutcome(attempt(() => fast.fromBinary(bytes)), attempt(() => slow.fromBinary(bytes)), exactDiff);
    if (decoded !== undefined) fail(`value #${i}: decode ${decoded}`);

    const oddValue = mutateValue(rng, value, odd);
    const oddEncoded = sameOutcome(attempt(() => fast.toBinary(oddValue)), attempt(() => slow.toBinary(oddValue)), sameBytes);
    if (oddEncoded !== undefined) fail(`mutated value #${i}: ${oddEncoded}`);
    if (sameOutcome(attempt(() => fast.isValid(oddValue)), attempt(() => slow.isValid(oddValue)), (a, b) => (a === b ? undefined : 'isValid differs')) !== undefined) fail(`mutated value #${i}: isValid differs`);

    const oddBytes = mutateBytes(rng, bytes);
    const oddDecoded = sameOutcome(attempt(() => fast.fromBinary(oddBytes)), attempt(() => slow.fromBinary(oddBytes)), exactDiff);
    if (oddDecoded !== undefined) fail(`mutated bytes #${i} ${hex(oddBytes)}: ${oddDecoded}`);
  }
}

describe('compiled binary codec agrees with the generic path', () => {
  it(`${SCHEMAS} random schemas × ${VALUES_PER_SCHEMA} values, mutated values and mutated bytes (base seed ${BASE_SEED})`, () => {
    for (let s = 0; s < SCHEMAS; s++) check(BASE_SEED + s);
  });

  it('longs at the varint boundaries, exact decimals and timestamps', () => {
    const schema: AvroSchemaJson = {
      type: 'record', name: 'Edge', fields: [
        { name: 'l', type: { type: 'array', items: 'long' } },
        { name: 'd', type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 4 } } },
        { name: 'f', type: { type: 'array', items: { type: 'fixed', name: 'F', size: 8, logicalType: 'decimal', precision: 18, scale: 2 } } },
        { name: 't', type: { type: 'array', items: { type: 'long', logicalType: 'timestamp-millis' } } },
        { name: 's', type: { type: 'array', items: 'string' } },
      ],
    };
    const longs: bigint[] = [];
    for (let bit = 0n; bit < 64n; bit++) for (const d of [-1n, 0n, 1n]) longs.push(BigInt.asIntN(64, (1n << bit) + d), -BigInt.asIntN(64, (1n << bit) + d));
    const value = {
      l: longs.filter((n) => n >= -(2n ** 63n) && n < 2n ** 63n),
      d: ['0.0000', '-0.0001', '12345678901.2345', '-99999999999.9999', '1234567890123456789012345678901234.5678', '-0.5000'],
      f: ['0.00', '-0.01', '9999999999999999.99', '-9999999999999999.99', '140737488355.32', '-140737488355.33'],
      t: [new Date(0), new Date(-1), new Date(8.64e15), new Date(-8.64e15), new Date(2 ** 48), new Date(-(2 ** 48) - 1)],
      s: ['', 'a'.repeat(21), 'é'.repeat(21), 'é'.repeat(22), 'a'.repeat(64), '😀'.repeat(20), `x${'\u{10ffff}'.repeat(30)}`],
    };
    const fast = createCodec<typeof value>(schema);
    const slow = createGenericCodec<typeof value>(schema);
    const bytes = fast.toBinary(value);
    expect(hex(bytes)).toBe(hex(slow.toBinary(value)));
    expect(exactDiff(fast.fromBinary(bytes), value)).toBeUndefined();
    expect(exactDiff(fast.fromBinary(bytes), slow.fromBinary(bytes))).toBeUndefined();
  });

  it('dates: every day of years 0000–0001, 1899–1901, 1999–2001, 9998–9999 and a stride through the rest, and impossible days', () => {
    const fast = createCodec<string[]>({ type: 'array', items: { type: 'int', logicalType: 'date' } });
    const slow = createGenericCodec<string[]>({ type: 'array', items: { type: 'int', logicalType: 'date' } });
    const days: number[] = [];
    const ranges: [number, number][] = [[-719_600, -718_700], [-25_600, -24_500], [10_900, 11_400], [2_932_100, 2_933_000]];
    for (const [from, to] of ranges) for (let d = from; d <= to; d++) days.push(d);
    for (let d = -800_000; d < 3_000_000; d += 97) days.push(d);
    const texts = days.map((d) => new Date(d * 86_400_000).toISOString().slice(0, -'T00:00:00.000Z'.length));
    const bytes = slow.toBinary(texts);
    expect(hex(fast.toBinary(texts))).toBe(hex(bytes));
    expect(exactDiff(fast.fromBinary(bytes), texts)).toBeUndefined();
    for (const bad of ['2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-01-00', '2024-1-01', '2024-01-0a', '-2024-01-01']) {
      expect(attempt(() => fast.toBinary([bad]))).toEqual(attempt(() => slow.toBinary([bad])));
      expect(attempt(() => fast.toBinary([bad])).ok).toBe(false);
    }
    expect(fast.fromBinary(fast.toBinary(['2000-02-29', '1600-02-29', '0000-01-01', '9999-12-31']))).toEqual(['2000-02-29', '1600-02-29', '0000-01-01', '9999-12-31']);
  });
});
