// The Apache Avro and Confluent Schema Registry test suites' verdicts (../shared/conformance),
// read in place, never copied into this repository.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkMode, checkReaderWriter, isCompatMode, type AvroSchemaJson } from '../../generator/compat/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const conformanceDir = path.resolve(repoRoot, '..', 'shared', 'conformance');

interface ExpectedIncompatibility {
  readonly type: string | null;
  readonly message: string | null;
  readonly location: string | null;
}

interface AvroCase {
  readonly id: string;
  readonly reader: AvroSchemaJson;
  readonly writer: AvroSchemaJson;
  readonly readerCanReadWriter: boolean;
  readonly incompatibility: string | null;
  readonly incompatibilities?: readonly ExpectedIncompatibility[] | null;
}

interface ConfluentCase {
  readonly id: string;
  readonly mode: string;
  readonly previous: readonly AvroSchemaJson[];
  readonly new: AvroSchemaJson;
  readonly compatible: boolean;
}

function load<T>(file: string): T[] {
  const data: unknown = JSON.parse(readFileSync(path.join(conformanceDir, file), 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: expected an array of cases`);
  return data as T[];
}

const avroCases = load<AvroCase>('avro-compat-cases.json');
const confluentCases = load<ConfluentCase>('confluent-compat-cases.json');

describe('Apache Avro reader/writer cases', () => {
  it('has every case', () => {
    expect(avroCases).toHaveLength(163);
  });

  it.each(avroCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = checkReaderWriter(c.reader, c.writer);
    expect(result.compatible).toBe(c.readerCanReadWriter);
    if (c.readerCanReadWriter) {
      expect(result.incompatibilities).toEqual([]);
      return;
    }
    const expected = c.incompatibilities ?? [];
    if (expected.length === 0 && c.incompatibility !== null) {
      // Only the type is asserted upstream.
      expect(result.incompatibilities[0]?.type).toBe(c.incompatibility);
      return;
    }
    // Every incompatibility, in Avro's order; fields upstream left unasserted (null) are not compared.
    if (expected.length > 0) expect(result.incompatibilities).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      const got = result.incompatibilities[i];
      expect(got, `incompatibility ${i}`).toBeDefined();
      if (want.type !== null) expect(got?.type).toBe(want.type);
      if (want.location !== null) expect(got?.location).toBe(want.location);
      if (want.message !== null) expect(got?.message).toBe(want.message);
    });
    if (c.incompatibility !== null) expect(result.incompatibilities[0]?.type).toBe(c.incompatibility);
  });
});

describe('Confluent Schema Registry mode cases', () => {
  it('has every case', () => {
    expect(confluentCases).toHaveLength(53);
  });

  it.each(confluentCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (!isCompatMode(c.mode)) throw new Error(`unknown mode ${c.mode}`);
    const result = checkMode(c.mode, c.new, c.previous);
    expect(result.compatible).toBe(c.compatible);
    expect(result.conflicts.length === 0).toBe(c.compatible);
  });
});
