// Property test: random schemas covering every type, thousands of random values, exact round trips.
// Reproduce a failure with AVRO_PROPERTY_SEED=<seed printed in the failure>.
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { createCodec, parsingCanonicalForm, type AvroSchemaJson } from '../../generator/runtime/index.js';
import { randomDocument } from './arbitrary.js';
import { exactDiff, hex, Rng } from './helpers.js';

const BASE_SEED = Number(process.env['AVRO_PROPERTY_SEED'] ?? 0x5eed);
const SCHEMAS = 40;
const VALUES_PER_SCHEMA = 100;

function check(seed: number): number {
  const rng = new Rng(seed);
  const doc = randomDocument(rng);
  const codec = createCodec<unknown>(doc.schema);
  const fail = (i: number, what: string): never => {
    throw new Error(`${what}\n  seed ${seed} (AVRO_PROPERTY_SEED=${BASE_SEED}, schema #${seed - BASE_SEED}), value #${i}\n  schema ${JSON.stringify(doc.schema)}`);
  };
  // Our canonical form agrees with avsc's (Type#schema() is avsc's canonical form).
  const avscType = avsc.Type.forSchema(doc.schema as Parameters<typeof avsc.Type.forSchema>[0], { wrapUnions: 'always' });
  if (parsingCanonicalForm(doc.schema) !== JSON.stringify(avscType.schema())) fail(-1, 'canonical form differs from avsc');
  for (let i = 0; i < VALUES_PER_SCHEMA; i++) {
    const value = doc.value(rng);
    let bin: Uint8Array;
    try {
      bin = codec.toBinary(value);
    } catch (err) {
      return fail(i, `toBinary threw: ${(err as Error).message}`);
    }
    if (!codec.isValid(value)) fail(i, 'isValid is false');

    const fromBin = codec.fromBinary(bin);
    const binDiff = exactDiff(fromBin, value);
    if (binDiff !== undefined) fail(i, `binary round trip: ${binDiff}`);
    if (hex(codec.toBinary(fromBin)) !== hex(bin)) fail(i, 'binary re-encoding differs');

    const json = codec.toJson(value);
    const fromJson = codec.fromJson(json);
    const jsonDiff = exactDiff(fromJson, value);
    if (jsonDiff !== undefined) fail(i, `JSON round trip: ${jsonDiff}\n  text ${json}`);
    if (codec.toJson(fromJson) !== json) fail(i, `JSON re-encoding differs\n  text ${json}`);
    // Not a byte comparison with \`bin\`: JSON's "NaN" cannot carry a NaN's payload bits, binary does.
    const viaJson = exactDiff(codec.fromBinary(codec.toBinary(fromJson)), value);
    if (viaJson !== undefined) fail(i, `JSON → binary round trip: ${viaJson}`);
  }
  return VALUES_PER_SCHEMA;
}

describe('property: random schemas and values round-trip exactly through binary and JSON', () => {
  it(`${SCHEMAS} schemas × ${VALUES_PER_SCHEMA} values (base seed ${BASE_SEED})`, () => {
    let total = 0;
    for (let s = 0; s < SCHEMAS; s++) total += check(BASE_SEED + s);
    expect(total).toBe(SCHEMAS * VALUES_PER_SCHEMA);
  });

  it('covers every field type', () => {
    const seen = new Set<string>();
    const visit = (s: unknown): void => {
      if (typeof s === 'string') seen.add(s);
      else if (Array.isArray(s)) { seen.add('union'); s.forEach(visit); }
      else if (typeof s === 'object' && s !== null) {
        const o = s as { [k: string]: unknown };
        seen.add(typeof o['logicalType'] === 'string' ? `${String(o['type'])}/${o['logicalType']}` : String(o['type']));
        for (const k of ['items', 'values', 'type']) if (typeof o[k] === 'object') visit(o[k]);
        if (Array.isArray(o['fields'])) for (const f of o['fields'] as { type: unknown }[]) visit(f.type);
      }
    };
    for (let s = 0; s < SCHEMAS; s++) visit(randomDocument(new Rng(BASE_SEED + s)).schema as AvroSchemaJson);
    for (const t of ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', 'record', 'enum', 'fixed', 'array', 'map',
      'union', 'string/uuid', 'int/date', 'int/time-millis', 'long/timestamp-millis', 'long/timestamp-micros', 'bytes/decimal', 'fixed/decimal']) {
      expect(seen, t).toContain(t);
    }
  });
});
