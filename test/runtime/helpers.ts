// Test helpers for the runtime: a seeded PRNG and an exact deep comparison.

/** mulberry32: tiny, fast, good enough for test data; same seed → same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from empty list');
    return item;
  }
  uint32(): number {
    return Math.floor(this.next() * 4294967296);
  }
  /** Uniform over all 64-bit patterns, as a signed bigint. */
  int64(): bigint {
    return BigInt.asIntN(64, (BigInt(this.uint32()) << 32n) | BigInt(this.uint32()));
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
  /** Double from random bits: covers subnormals, huge exponents, NaN, ±Infinity, -0 now and then. */
  doubleBits(): number {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setUint32(0, this.uint32());
    buf.setUint32(4, this.uint32());
    return buf.getFloat64(0);
  }
}

/** Exact structural equality: bigint, Uint8Array contents, Date time, NaN and -0 via Object.is. Returns the first difference. */
export function exactDiff(actual: unknown, expected: unknown, at = '$'): string | undefined {
  if (typeof expected === 'number' || typeof expected === 'bigint' || typeof expected === 'string'
    || typeof expected === 'boolean' || expected === null || expected === undefined) {
    return Object.is(actual, expected) ? undefined : `${at}: ${show(actual)} !== ${show(expected)}`;
  }
  if (expected instanceof Uint8Array) {
    if (!(actual instanceof Uint8Array)) return `${at}: expected Uint8Array, got ${show(actual)}`;
    if (actual.length !== expected.length || actual.some((b, i) => b !== expected[i])) {
      return `${at}: bytes [${[...actual].join(',')}] !== [${[...expected].join(',')}]`;
    }
    return undefined;
  }
  if (expected instanceof Date) {
    if (!(actual instanceof Date)) return `${at}: expected Date, got ${show(actual)}`;
    return Object.is(actual.getTime(), expected.getTime()) ? undefined : `${at}: ${actual.toISOString()} !== ${expected.toISOString()}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected array, got ${show(actual)}`;
    if (actual.length !== expected.length) return `${at}: length ${actual.length} !== ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = exactDiff(actual[i], expected[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${at}: expected object, got ${show(actual)}`;
    const ak = Object.keys(actual).sort();
    const ek = Object.keys(expected).sort();
    if (ak.join('\u0000') !== ek.join('\u0000')) return `${at}: keys ${JSON.stringify(ak)} !== ${JSON.stringify(ek)}`;
    for (const k of ek) {
      const d = exactDiff((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${at}[${JSON.stringify(k)}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return `${at}: cannot compare ${typeof expected}`;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
