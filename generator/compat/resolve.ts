// Can data written with one schema be read with another? The Avro specification's schema
// resolution rules, checked the way Apache Avro Java's SchemaCompatibility
// (ReaderWriterCompatibilityChecker) checks them, so verdicts, incompatibility types,
// messages and JSON Pointer locations match what a schema registry reports. Deliberate
// differences from Java, each noted where it is made:
//  - decimals match only when precision and scale match (the spec; Java ignores logical types);
//  - a pair of named types checked at two places is reported at both places (Java reuses the
//    first location);
//  - a reader field matching several writer fields (by name and alias) takes the one with its
//    own name, as decoding does (Java throws).
import { parseSchema } from './parse.js';
import { renderSchema, toPointer, typeName, type AvroNode, type AvroSchemaJson, type FieldNode, type NamedNode, type RecordNode } from './schema.js';

export type IncompatibilityType =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH';

export interface Incompatibility {
  readonly type: IncompatibilityType;
  /** JSON Pointer as Avro Java builds it: '/' for the root, then e.g. /fields/0/type. */
  readonly location: string;
  readonly message: string;
  /** The reader (sub)schema where the problem was found, as JSON. */
  readonly readerFragment?: string;
  /** The writer (sub)schema where the problem was found, as JSON. */
  readonly writerFragment?: string;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly incompatibilities: readonly Incompatibility[];
}

/** Can `reader` read data written with `writer`? Throws AvroSchemaError if either is invalid. */
export function checkReaderWriter(reader: AvroSchemaJson, writer: AvroSchemaJson): CompatibilityResult {
  const r = parseSchema(reader, 'reader');
  const w = parseSchema(writer, 'writer');
  return checkReaderWriterNodes(r, w);
}

/** As checkReaderWriter, for schemas already parsed with parseSchema. */
export function checkReaderWriterNodes(reader: AvroNode, writer: AvroNode): CompatibilityResult {
  const found = new PairChecker().check(reader, writer);
  return {
    compatible: found.length === 0,
    incompatibilities: found.map((f) => ({
      type: f.type,
      location: toPointer(f.path),
      message: f.message,
      readerFragment: renderSchema(f.reader),
      writerFragment: renderSchema(f.writer),
    })),
  };
}

/** An incompatibility with its location relative to the reader/writer pair it was found under. */
interface Found {
  readonly type: IncompatibilityType;
  readonly path: readonly string[];
  readonly message: string;
  readonly reader: AvroNode;
  readonly writer: AvroNode;
}

const IN_PROGRESS = 'in-progress';

function under(tokens: readonly string[], found: readonly Found[]): Found[] {
  return found.map((f) => ({ ...f, path: [...tokens, ...f.path] }));
}

function promotable(reader: AvroNode['kind'], writer: AvroNode['kind']): boolean {
  switch (reader) {
    case 'long':
      return writer === 'int';
    case 'float':
      return writer === 'int' || writer === 'long';
    case 'double':
      return writer === 'int' || writer === 'long' || writer === 'float';
    case 'bytes':
      return writer === 'string';
    case 'string':
      return writer === 'bytes';
    default:
      return false;
  }
}

/** One checker per top-level pair: the memo lives and dies with the call. */
class PairChecker {
  /** By node identity, as Java does: named types are shared nodes, so recursion meets the same pair again. */
  private readonly memo = new Map<AvroNode, Map<AvroNode, readonly Found[] | typeof IN_PROGRESS>>();

  check(reader: AvroNode, writer: AvroNode): readonly Found[] {
    let byWriter = this.memo.get(reader);
    if (byWriter === undefined) {
      byWriter = new Map();
      this.memo.set(reader, byWriter);
    }
    const known = byWriter.get(writer);
    // A pair met again while still being checked: assume compatible unless proven otherwise elsewhere.
    if (known === IN_PROGRESS) return [];
    if (known !== undefined) return known;
    byWriter.set(writer, IN_PROGRESS);
    const result = this.calculate(reader, writer);
    byWriter.set(writer, result);
    return result;
  }

  private calculate(r: AvroNode, w: AvroNode): readonly Found[] {
    if (r.kind === 'array' && w.kind === 'array') return under(['items'], this.check(r.items, w.items));
    if (r.kind === 'map' && w.kind === 'map') return under(['values'], this.check(r.values, w.values));
    if (r.kind === 'fixed' && w.kind === 'fixed') {
      const out = this.names(r, w);
      if (r.size !== w.size) out.push(this.found('FIXED_SIZE_MISMATCH', ['size'], `expected: ${w.size}, found: ${r.size}`, r, w));
      return [...out, ...this.decimals(r, w)];
    }
    if (r.kind === 'enum' && w.kind === 'enum') {
      const out = this.names(r, w);
      const missing = w.symbols.filter((s) => !r.symbols.includes(s)).sort();
      // A reader enum default absorbs every symbol the reader does not know.
      if (missing.length > 0 && r.default === undefined) {
        out.push(this.found('MISSING_ENUM_SYMBOLS', ['symbols'], `[${missing.join(', ')}]`, r, w));
      }
      return out;
    }
    if (r.kind === 'record' && w.kind === 'record') return [...this.names(r, w), ...this.fields(r, w)];
    if (r.kind === 'union' && w.kind === 'union') {
      // Every writer branch must be readable; the details of why not stay with the branch.
      const out: Found[] = [];
      w.branches.forEach((branch, i) => {
        if (this.check(r, branch).length > 0) out.push(this.found('MISSING_UNION_BRANCH', [String(i)], `reader union lacking writer type: ${typeName(branch)}`, r, w));
      });
      return out;
    }
    if (r.kind === w.kind) return this.decimals(r, w);
    if (w.kind === 'union') return w.branches.flatMap((branch, i) => under([String(i)], this.check(r, branch)));
    if (r.kind === 'union') {
      if (r.branches.some((branch) => this.check(branch, w).length === 0)) return [];
      return [this.found('MISSING_UNION_BRANCH', [], `reader union lacking writer type: ${typeName(w)}`, r, w)];
    }
    if (promotable(r.kind, w.kind)) return [];
    return [this.found('TYPE_MISMATCH', [], `reader type: ${typeName(r)} not compatible with writer type: ${typeName(w)}`, r, w)];
  }

  /** Unqualified names compare; a reader alias (fully qualified) may name the writer instead. */
  private names(r: NamedNode, w: NamedNode): Found[] {
    if (r.name === w.name || r.aliases.includes(w.fullName)) return [];
    return [this.found('NAME_MISMATCH', ['name'], `expected: ${w.fullName}`, r, w)];
  }

  private fields(r: RecordNode, w: RecordNode): Found[] {
    const out: Found[] = [];
    for (const field of r.fields) {
      const at = ['fields', String(field.pos)];
      const source = writerField(w, field);
      if (source !== undefined) out.push(...under([...at, 'type'], this.check(field.type, source.type)));
      else if (field.hasDefault) continue;
      // Java's naming: a reader enum with an enum default is checked against the writer
      // record itself, which reports TYPE_MISMATCH (ENUM vs RECORD) at /fields/N/type.
      else if (field.type.kind === 'enum' && field.type.default !== undefined) out.push(...under([...at, 'type'], this.check(field.type, w)));
      else out.push(this.found('READER_FIELD_MISSING_DEFAULT_VALUE', at, field.name, r, w));
    }
    return out;
  }

  /** The specification: decimals match only when precision and scale match. Java does not check this. */
  private decimals(r: AvroNode, w: AvroNode): Found[] {
    const rd = r.kind === 'bytes' || r.kind === 'fixed' ? r.decimal : undefined;
    const wd = w.kind === 'bytes' || w.kind === 'fixed' ? w.decimal : undefined;
    if (rd === undefined || wd === undefined || (rd.precision === wd.precision && rd.scale === wd.scale)) return [];
    const message = `reader type: ${typeName(r)} (decimal(${rd.precision},${rd.scale})) not compatible with writer type: ${typeName(w)} (decimal(${wd.precision},${wd.scale}))`;
    return [this.found('TYPE_MISMATCH', [], message, r, w)];
  }

  private found(type: IncompatibilityType, path: readonly string[], message: string, reader: AvroNode, writer: AvroNode): Found {
    return { type, path, message, reader, writer };
  }
}

/** Only the reader's field aliases count; its own name wins over an alias. */
function writerField(writer: RecordNode, readerField: FieldNode): FieldNode | undefined {
  const byName = (name: string): FieldNode | undefined => writer.fields.find((f) => f.name === name);
  const direct = byName(readerField.name);
  if (direct !== undefined) return direct;
  for (const alias of readerField.aliases) {
    const match = byName(alias);
    if (match !== undefined) return match;
  }
  return undefined;
}
