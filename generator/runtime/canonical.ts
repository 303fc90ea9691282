/**
 * Avro "Parsing Canonical Form" and schema fingerprints (CRC-64-AVRO, SHA-256).
 *
 * The canonical form is written from the resolved tree, which already applies
 * [PRIMITIVES] and [FULLNAMES]; writing only the kept attributes in the
 * spec's order gives [STRIP] and [ORDER]; names are plain ASCII and sizes are
 * integers, so [STRINGS], [INTEGERS] and [WHITESPACE] follow from the writer.
 * Like the Java reference, `error` is written as `record` and a named type is
 * written in full only at its first occurrence, by fullname afterwards.
 */
import { createHash } from 'node:crypto';
import { parseSchema, type AvroSchemaJson, type SchemaNode } from './schema.js';

export function canonicalFormOf(node: SchemaNode): string {
  const defined = new Set<string>();
  const write = (n: SchemaNode): string => {
    switch (n.kind) {
      case 'union':
        return `[${n.branches.map(write).join(',')}]`;
      case 'array':
        return `{"type":"array","items":${write(n.items)}}`;
      case 'map':
        return `{"type":"map","values":${write(n.values)}}`;
      case 'date': case 'time-millis': case 'timestamp-millis': case 'timestamp-micros': case 'uuid': case 'decimal':
        return write(n.underlying);
      case 'record': case 'enum': case 'fixed': {
        const name = JSON.stringify(n.name);
        if (defined.has(n.name)) return name;
        defined.add(n.name);
        if (n.kind === 'fixed') return `{"name":${name},"type":"fixed","size":${n.size}}`;
        if (n.kind === 'enum') {
          return `{"name":${name},"type":"enum","symbols":[${n.symbols.map((s) => JSON.stringify(s)).join(',')}]}`;
        }
        const fields = n.fields.map((f) => `{"name":${JSON.stringify(f.name)},"type":${write(f.type)}}`);
        return `{"name":${name},"type":"record","fields":[${fields.join(',')}]}`;
      }
      default:
        return JSON.stringify(n.kind);
    }
  };
  return write(node);
}

/** The Parsing Canonical Form of a schema (Avro specification, "Schema Resolution" › "Parsing Canonical Form"). */
export function parsingCanonicalForm(schema: AvroSchemaJson): string {
  return canonicalFormOf(parseSchema(schema));
}

const EMPTY64 = 0xc15d213aa4d7a795n;

/** The spec's reference table, split into 32-bit halves so the hot loop avoids BigInt. */
const FP_TABLE: { readonly lo: Uint32Array; readonly hi: Uint32Array } = (() => {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY64 & -(fp & 1n));
    lo[i] = Number(fp & 0xffffffffn);
    hi[i] = Number(fp >> 32n);
  }
  return { lo, hi };
})();

/** CRC-64-AVRO (the spec's 64-bit Rabin fingerprint) of the given bytes, as an unsigned 64-bit bigint. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let lo = Number(EMPTY64 & 0xffffffffn);
  let hi = Number(EMPTY64 >> 32n);
  for (const byte of bytes) {
    const idx = (lo ^ byte) & 0xff;
    // fp = (fp >>> 8) ^ TABLE[idx], on the two halves.
    const shiftedLo = ((lo >>> 8) | (hi << 24)) >>> 0;
    const shiftedHi = hi >>> 8;
    lo = (shiftedLo ^ (FP_TABLE.lo[idx] ?? 0)) >>> 0;
    hi = (shiftedHi ^ (FP_TABLE.hi[idx] ?? 0)) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** CRC-64-AVRO of a schema's canonical form text (UTF-8). */
export function fingerprint64(canonical: string): bigint {
  return crc64Avro(new TextEncoder().encode(canonical));
}

/** 16 lower-case hex digits, most significant first. */
export function fingerprintToHex(fingerprint: bigint): string {
  return BigInt.asUintN(64, fingerprint).toString(16).padStart(16, '0');
}

/** Lower-case hex SHA-256 of a schema's canonical form text (UTF-8). */
export function sha256Hex(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
