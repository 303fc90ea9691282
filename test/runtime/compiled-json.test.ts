// The compiled Avro JSON codec (generator/runtime/compiled-json.ts) against the generic path it
// short-cuts: the same text, the same values (down to prototypes and key order) and the same
// errors, for random schemas and values, mutated values and mutated text; and, for the saga
// contexts of the example and of the test specs, that contexts stored by the generic codecs
// (what every row written before the compiled path holds) load to the same context and are
// stored again as the same text.
// Reproduce a failure with AVRO_COMPILED_SEED=<seed printed in the failure>.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCodec, createGenericCodec } from '../../generator/runtime/avro.js';
import { orchestration, type AvroCodec, type AvroSchemaJson, type SagaDefinition } from '../../generator/runtime/index.js';
import { parseSchema, type SchemaNode } from '../../generator/runtime/schema.js';
import { generate } from '../../generator/pipeline.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { builtInTemplates } from '../../generator/cli/project.js';
import { codecs as domainCodecs } from '../saga/domain.js';
import { mutateValue, randomDecimal, randomDocument, randomDouble, randomLong, randomString } from './arbitrary.js';
import { exactDiff, Rng } from './helpers.js';

const BASE_SEED = Number(process.env['AVRO_COMPILED_SEED'] ?? 0x150d);
const SCHEMAS = 30;
const VALUES_PER_SCHEMA = 40;
const root = path.resolve(import.meta.dirname, '../..');

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/** The shape exactDiff does not see: prototypes, Buffer or Uint8Array, and key order. */
function form(v: unknown): string {
  if (v === null || typeof v !== 'object') return typeof v;
  if (v instanceof Uint8Array || v instanceof Date) return Object.getPrototypeOf(v)?.constructor?.name ?? 'null-prototype';
  const proto = Object.getPrototypeOf(v) === Object.prototype ? '' : Array.isArray(v) ? '' : `<${String(Object.getPrototypeOf(v))}>`;
  if (Array.isArray(v)) return `[${v.map(form).join(',')}]`;
  return `${proto}{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${form(Object.getOwnPropertyDescriptor(v, k)?.value)}`).join(',')}}`;
}

function sameValue(a: unknown, b: unknown): string | undefined {
  return exactDiff(a, b) ?? (form(a) === form(b) ? undefined : `forms differ: ${form(a)} / ${form(b)}`);
}

function sameOutcome(fast: Outcome, slow: Outcome, compare: (a: unknown, b: unknown) => string | undefined): string | undefined {
  if (fast.ok !== slow.ok) return `compiled ${fast.ok ? 'succeeded' : `failed (${(fast as { error: string }).error})`}, generic ${slow.ok ? 'succeeded' : `failed (${(slow as { error: string }).error})`}`;
  if (!fast.ok || !slow.ok) return fast.ok || slow.ok || fast.error === slow.error ? undefined : `errors differ: ${fast.error} / ${slow.error}`;
  return compare(fast.value, slow.value);
}

const sameText = (a: unknown, b: unknown): string | undefined => (a === b ? undefined : `text ${String(a)} !== ${String(b)}`);

const ODD_VALUES: readonly unknown[] = [
  null, undefined, true, 0, -0, 1.5, -1, 2 ** 31, 86_400_000, Number.NaN, 2 ** 53, '', 'x', '\uD800', 'a\uDC00b', 'a"b\\c\n',
  '1.234', '-0.5', '99999999999999999999', '2024-02-30', '00000000-0000-0000-0000-00000000000g', 12n, 2n ** 63n, 2n ** 62n,
  new Date(Number.NaN), new Date(8.64e15), new Uint8Array(3), new Uint8Array(16), [], [1], {}, { a: 1 }, { null: null }, { string: 'x' },
];

const odd = (rng: Rng): unknown => ODD_VALUES[rng.int(0, ODD_VALUES.length - 1)];

/** Reorders the keys of the objects in a parsed JSON value. */
function shuffleKeys(rng: Rng, v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(rng, x));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v).map(([k, x]) => [k, shuffleKeys(rng, x)] as const);
  if (entries.length > 1 && rng.bool(0.5)) entries.reverse();
  const out = {};
  for (const [k, x] of entries) Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Text that is valid or almost valid Avro JSON for the same schema, but not (always) the canonical text of a value. */
function mutateText(rng: Rng, text: string): string {
  const at = rng.int(0, text.length);
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
  switch (rng.int(0, 9)) {
    case 0: return text.slice(0, at) + rng.pick([' ', '\n', '\t']) + text.slice(at);
    case 1: {
      // JSON.parse and JSON.stringify: keys may move, longs beyond 2^53 get rounded, escapes change.
      try {
        return JSON.stringify(shuffleKeys(rng, JSON.parse(text)), null, rng.bool(0.3) ? 1 : undefined);
      } catch {
        return text;
      }
    }
    case 2: case 3: {
      const m = numbers.length === 0 ? undefined : rng.pick(numbers);
      if (m === undefined || m.index === undefined) return text;
      const replacement = rng.pick([`${m[0]}.0`, `${m[0]}e0`, '9007199254740993', '-9007199254740993', '9223372036854775808', '-0', '1E2', '0.1', '1e400', `0${m[0]}`]);
      return text.slice(0, m.index) + replacement + text.slice(m.index + m[0].length);
    }
    case 4: {
      // A letter or digit written as a \u escape (inside a string or a key, or breaking the text).
      const i = text.slice(at).search(/[a-zA-Z0-9]/);
      if (i < 0) return text;
      const c = text.charCodeAt(at + i);
      return `${text.slice(0, at + i)}\\u${c.toString(16).padStart(4, '0')}${text.slice(at + i + 1)}`;
    }
    case 5: {
      // A field given twice, or an unknown field.
      const m = [...text.matchAll(/\{"([^"\\]*)":/g)];
      const pick = m.length === 0 ? undefined : rng.pick(m);
      if (pick === undefined || pick.index === undefined) return text;
      const extra = rng.bool() ? `"${pick[1]}":null,` : `"zzExtra":1,`;
      return text.slice(0, pick.index + 1) + extra + text.slice(pick.index + 1);
    }
    case 6: return text.slice(0, at) + rng.pick(['"', '\\', ',', ':', '{', '}', '[', ']', 'null', '0', '"\\u00ff"', '"\\ud800"', '"\u0100"']) + text.slice(at);
    case 7: return text.slice(0, at) + text.slice(Math.min(text.length, at + rng.int(1, 4)));
    case 8: return text.replace('null', rng.pick(['{"null":null}', '{"string":"x"}', '0', '""', 'true']));
    default: return text.slice(0, at);
  }
}

function check(seed: number): void {
  const rng = new Rng(seed);
  const doc = randomDocument(rng);
  const fast = createCodec<unknown>(doc.schema);
  const slow = createGenericCodec<unknown>(doc.schema);
  const fail = (what: string): never => {
    throw new Error(`${what}\n  seed ${seed} (AVRO_COMPILED_SEED=${BASE_SEED}, schema #${seed - BASE_SEED})\n  schema ${JSON.stringify(doc.schema)}`);
  };
  for (let i = 0; i < VALUES_PER_SCHEMA; i++) compareOn(rng, fast, slow, doc.value(rng), (what) => fail(`value #${i}: ${what}`));
}

/** The compiled and the generic codec agree on `value`, on a mutation of it and on mutations of its text. */
function compareOn(rng: Rng, fast: AvroCodec<unknown>, slow: AvroCodec<unknown>, value: unknown, fail: (what: string) => never): void {
  const text = slow.toJson(value);
  const encoded = sameOutcome(attempt(() => fast.toJson(value)), { ok: true, value: text }, sameText);
  if (encoded !== undefined) fail(encoded);
  const decoded = sameOutcome(attempt(() => fast.fromJson(text)), attempt(() => slow.fromJson(text)), sameValue);
  if (decoded !== undefined) fail(`decode ${text}: ${decoded}`);
  const oddValue = mutateValue(rng, value, odd);
  const oddEncoded = sameOutcome(attempt(() => fast.toJson(oddValue)), attempt(() => slow.toJson(oddValue)), sameText);
  if (oddEncoded !== undefined) fail(`mutated value: ${oddEncoded}`);
  for (let k = 0; k < 3; k++) {
    const oddText = mutateText(rng, text);
    const oddDecoded = sameOutcome(attempt(() => fast.fromJson(oddText)), attempt(() => slow.fromJson(oddText)), sameValue);
    if (oddDecoded !== undefined) fail(`mutated text ${oddText}: ${oddDecoded}`);
  }
}

// ---- values of a given schema -------------------------------------------------------------

/** A random valid TypeScript value of `node` (the codec's mapping: bigint longs, decimal strings, Dates, …). */
function valueOf(rng: Rng, node: SchemaNode, depth = 0): unknown {
  switch (node.kind) {
    case 'null': return null;
    case 'boolean': return rng.bool();
    case 'int': return rng.bool(0.2) ? rng.pick([0, -1, 2 ** 31 - 1, -(2 ** 31)]) : rng.int(-1e6, 1e6);
    case 'long': case 'timestamp-micros': return randomLong(rng);
    case 'float': return Math.fround(randomDouble(rng));
    case 'double': return randomDouble(rng);
    case 'string': return randomString(rng, 12);
    case 'bytes': return rng.bytes(rng.int(0, 12));
    case 'fixed': return rng.bytes(node.size);
    case 'enum': return rng.pick(node.symbols);
    case 'uuid': return [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => rng.pick([...'0123456789abcdef'])).join('')).join('-');
    case 'date': return new Date(rng.int(-800_000, 800_000) * 86_400_000).toISOString().split('T')[0];
    case 'time-millis': return rng.int(0, 86_399_999);
    case 'timestamp-millis': return new Date(rng.bool(0.1) ? rng.pick([8.64e15, -8.64e15, 0, -1]) : rng.int(-864e4, 864e4) * 1e9 + rng.int(0, 1e9 - 1));
    case 'decimal': return randomDecimal(rng, Math.min(node.precision, node.underlying.kind === 'fixed' ? 2 * node.underlying.size : 38), node.scale);
    case 'array': return Array.from({ length: depth > 3 ? 0 : rng.int(0, 4) }, () => valueOf(rng, node.items, depth + 1));
    case 'map': {
      const out: { [key: string]: unknown } = {};
      for (let n = depth > 3 ? 0 : rng.int(0, 3); n > 0; n--) out[rng.pick(['a', 'b', '1', '', '__x', randomString(rng, 4).replace(/[\uD800-\uDFFF]/g, '')])] = valueOf(rng, node.values, depth + 1);
      return out;
    }
    case 'record': {
      const out: { [key: string]: unknown } = {};
      for (const f of node.fields) out[f.name] = valueOf(rng, f.type, depth + 1);
      return out;
    }
    case 'union': {
      const choices = node.branches.map((b, i) => [b, i] as const).filter(([b]) => depth < 4 || b.kind === 'null' || node.branches.length === 1);
      const [branch, i] = rng.pick(choices.length > 0 ? choices : [[node.branches[0] as SchemaNode, 0] as const]);
      const inner = valueOf(rng, branch, depth + 1);
      return branch.kind === 'null' || !node.wrapped ? inner : { [node.branchNames[i] ?? '']: inner };
    }
  }
}

/** Event schemas by type of the example (generated-example/) and of the saga test specs. */
async function sagaSchemas(): Promise<Map<string, AvroSchemaJson>> {
  const out = new Map<string, AvroSchemaJson>();
  const exampleDir = path.join(root, 'generated-example/src/generated/orders/avro');
  for (const f of readdirSync(exampleDir).filter((n) => n.endsWith('.avsc'))) out.set(`example ${f}`, JSON.parse(readFileSync(path.join(exampleDir, f), 'utf8')) as AvroSchemaJson);
  const text = readFileSync(path.join(root, 'test/saga/fixtures/checkout.yaml'), 'utf8');
  const result = generate([{ file: 'checkout.yaml', text }], createTemplateSet(await builtInTemplates()), { runtimeModule: 'eventsmith/runtime' });
  for (const f of result.files ?? []) if (f.path.endsWith('.avsc')) out.set(`checkout.yaml ${f.path}`, JSON.parse(f.content) as AvroSchemaJson);
  for (const [type, codec] of Object.entries(domainCodecs)) out.set(`test/saga/domain.ts ${type}`, codec.schema);
  return out;
}

describe('compiled JSON codec agrees with the generic path', () => {
  it(`${SCHEMAS} random schemas × ${VALUES_PER_SCHEMA} values, mutated values and mutated text (base seed ${BASE_SEED})`, () => {
    for (let s = 0; s < SCHEMAS; s++) check(BASE_SEED + s);
  });

  it('the event schemas of the example and of the saga test specs', async () => {
    const schemas = await sagaSchemas();
    expect(schemas.size).toBeGreaterThan(25);
    const rng = new Rng(BASE_SEED);
    for (const [name, schema] of schemas) {
      const fast = createCodec<unknown>(schema);
      const slow = createGenericCodec<unknown>(schema);
      const node = parseSchema(schema);
      for (let i = 0; i < 60; i++) compareOn(rng, fast, slow, valueOf(rng, node), (what) => { throw new Error(`${name} value #${i} (AVRO_COMPILED_SEED=${BASE_SEED}): ${what}`); });
    }
  });

  it('longs beyond 2^53, exact decimals, timestamps, non-finite doubles and escapes', () => {
    const schema: AvroSchemaJson = {
      type: 'record', name: 'Edge', fields: [
        { name: 'l', type: { type: 'array', items: 'long' } },
        { name: 'd', type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 4 } } },
        { name: 'f', type: { type: 'array', items: { type: 'fixed', name: 'F', size: 8, logicalType: 'decimal', precision: 18, scale: 2 } } },
        { name: 't', type: { type: 'array', items: { type: 'long', logicalType: 'timestamp-millis' } } },
        { name: 'x', type: { type: 'array', items: 'double' } },
        { name: 's', type: { type: 'array', items: 'string' } },
      ],
    };
    const longs: bigint[] = [];
    for (let bit = 0n; bit < 64n; bit++) for (const d of [-1n, 0n, 1n]) longs.push(BigInt.asIntN(64, (1n << bit) + d), -BigInt.asIntN(64, (1n << bit) + d));
    const value = {
      l: longs.filter((n) => n >= -(2n ** 63n) && n < 2n ** 63n),
      d: ['0.0000', '-0.0001', '12345678901.2345', '-99999999999.9999', '1234567890123456789012345678901234.5678', '-0.5000', '0.0127', '-0.0128', '3.2768'],
      f: ['0.00', '-0.01', '9999999999999999.99', '-9999999999999999.99', '140737488355.32', '-140737488355.33'],
      t: [new Date(0), new Date(-1), new Date(8.64e15), new Date(-8.64e15), new Date(2 ** 48), new Date(-(2 ** 48) - 1)],
      x: [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-7, Number.MIN_VALUE, 0.1],
      s: ['', 'a"b', 'back\\slash', '\u0000\u001f\u007f', '\u2028\u2029', 'é😀', '</script>'],
    };
    const fast = createCodec<typeof value>(schema);
    const slow = createGenericCodec<typeof value>(schema);
    const text = slow.toJson(value);
    expect(fast.toJson(value)).toBe(text);
    expect(sameValue(fast.fromJson(text), value)).toBeUndefined();
    expect(sameValue(fast.fromJson(text), slow.fromJson(text))).toBeUndefined();
    // A long JSON.parse would round is read exactly (by the generic path).
    const big = '{"l":[9007199254740993,-9223372036854775808],"d":[],"f":[],"t":[],"x":[],"s":[]}';
    expect(fast.fromJson(big).l).toEqual([9007199254740993n, -(2n ** 63n)]);
    expect(fast.toJson(fast.fromJson(big))).toBe(big);
  });
});

// ---- saga contexts ------------------------------------------------------------------------

interface Ev {
  readonly id: string;
  readonly type: string;
  readonly aggregateId: string;
  readonly data: unknown;
}

function definitionOf(schemas: ReadonlyMap<string, AvroSchemaJson>, make: (schema: AvroSchemaJson) => AvroCodec<unknown>): SagaDefinition<unknown> {
  return orchestration({
    name: 'Any',
    startedBy: 'start',
    correlate: (e) => e.aggregateId,
    codecs: Object.fromEntries([...schemas].map(([type, schema]) => [type, make(schema)])),
    steps: [],
    retry: { maxAttempts: 1, backoffMs: 1 },
  }) as SagaDefinition<unknown>;
}

describe('saga contexts stored before the compiled JSON path', () => {
  it('load to the same context, and are stored again as the same text', async () => {
    const schemas = await sagaSchemas();
    const types = [...schemas.keys()];
    const fast = definitionOf(schemas, (s) => createCodec(s));
    const slow = definitionOf(schemas, (s) => createGenericCodec(s));
    const nodes = new Map([...schemas].map(([t, s]) => [t, parseSchema(s)]));
    const rng = new Rng(BASE_SEED + 1);
    const event = (i: number): Ev => {
      const type = rng.pick(types);
      return { id: `e${i}`, type, aggregateId: `a${i}`, data: valueOf(rng, nodes.get(type) as SchemaNode) };
    };
    for (let n = 0; n < 300; n++) {
      let ctx = slow.initialContext({ ...event(0), type: 'start' } as never);
      // The start event's type is any of the spec's: initialContext takes it from the message.
      ctx = { ...(ctx as object), start: event(0) };
      for (let s = rng.int(0, 3); s > 0; s--) ctx = slow.recordStep(ctx, `step${s}`, event(s) as never);
      // A row as PostgreSQL hands it back (jsonb → text → JSON.parse).
      const row = JSON.parse(JSON.stringify(slow.encodeContext(ctx))) as unknown;
      const loadedFast = attempt(() => fast.decodeContext(row));
      const loadedSlow = attempt(() => slow.decodeContext(row));
      expect(sameOutcome(loadedFast, loadedSlow, sameValue)).toBeUndefined();
      if (!loadedFast.ok) throw new Error(`context #${n} did not load: ${loadedFast.error}`);
      expect(JSON.stringify(fast.encodeContext(loadedFast.value))).toBe(JSON.stringify(row));
      expect(JSON.stringify(fast.encodeContext(ctx))).toBe(JSON.stringify(slow.encodeContext(ctx)));
    }
  });
});
