// The TypeScript mapping of spec types (ARCHITECTURE.md, "TypeScript mapping"), shared by every
// emitter that prints data types. Chosen so each value round-trips exactly through Avro:
// longs are bigint, decimals are canonical text, timestamps in micros stay bigint.
import type { Imports } from '../core/generated-file.js';
import type { TypeRef } from '../core/model.js';
import { tsString } from './ts-print.js';

export interface TsTypeOptions {
  /**
   * Module the shared named types are imported from (e.g. `./types.js`); leave it out when
   * printing inside that module, where they are declared.
   */
  readonly typesModule?: string;
}

interface Printed {
  readonly text: string;
  /** A top-level `|`: needs parentheses as an array item. */
  readonly union: boolean;
}

/** The TypeScript type of `ref`, recording any named type it uses in `imports`. */
export function tsType(ref: TypeRef, imports: Imports, opts: TsTypeOptions = {}): string {
  return print(ref, imports, opts).text;
}

function print(ref: TypeRef, imports: Imports, opts: TsTypeOptions): Printed {
  switch (ref.kind) {
    case 'primitive':
      switch (ref.name) {
        case 'string':
          return plain('string');
        case 'int':
        case 'float':
        case 'double':
          return plain('number');
        case 'long':
          return plain('bigint');
        case 'boolean':
          return plain('boolean');
        case 'bytes':
          return plain('Uint8Array');
      }
      break;
    case 'logical':
      switch (ref.name) {
        case 'uuid':
        case 'date':
          return plain('string');
        case 'time-millis':
          return plain('number');
        case 'timestamp-millis':
          return plain('Date');
        case 'timestamp-micros':
          return plain('bigint');
      }
      break;
    case 'decimal':
      return plain('string');
    case 'array': {
      const items = print(ref.items, imports, opts);
      return plain(items.union ? `(${items.text})[]` : `${items.text}[]`);
    }
    case 'map':
      return plain(`Record<string, ${print(ref.values, imports, opts).text}>`);
    case 'optional': {
      const inner = print(ref.type, imports, opts);
      // `T??` is refused by the resolver; printing it once keeps this total anyway.
      return inner.text.endsWith(' | null') ? inner : { text: `${inner.text} | null`, union: true };
    }
    case 'named': {
      const t = ref.type;
      if (t.kind === 'enum' && t.inline) {
        return { text: t.symbols.map(tsString).join(' | '), union: t.symbols.length > 1 };
      }
      return plain(opts.typesModule === undefined ? t.name : imports.type(opts.typesModule, t.name));
    }
  }
  return unreachable(ref);
}

function plain(text: string): Printed {
  return { text, union: false };
}

function unreachable(ref: never): never {
  throw new Error(`unknown type reference ${JSON.stringify(ref)}`);
}

/**
 * What a reader of the TypeScript type cannot see: the range or format the value must have.
 * Undefined when the TypeScript type says it all.
 */
export function typeNote(ref: TypeRef): string | undefined {
  switch (ref.kind) {
    case 'optional':
      return typeNote(ref.type);
    case 'array': {
      const note = typeNote(ref.items);
      return note === undefined ? undefined : `Each item: ${lowerFirst(note)}`;
    }
    case 'map': {
      const note = typeNote(ref.values);
      return note === undefined ? undefined : `Each value: ${lowerFirst(note)}`;
    }
    case 'primitive':
      if (ref.name === 'int') return '32-bit signed integer.';
      if (ref.name === 'float') return '32-bit float: the value is rounded to single precision.';
      if (ref.name === 'long') return '64-bit signed integer.';
      return undefined;
    case 'logical':
      switch (ref.name) {
        case 'uuid':
          return 'UUID text.';
        case 'date':
          return 'Calendar date, `YYYY-MM-DD`.';
        case 'time-millis':
          return 'Milliseconds after midnight.';
        case 'timestamp-millis':
          return undefined;
        case 'timestamp-micros':
          return 'Microseconds since the Unix epoch.';
      }
      return undefined;
    case 'decimal':
      return `Decimal text (\`decimal(${ref.precision},${ref.scale})\`): at most ${ref.precision} digits, ${ref.scale} of them after the point.`;
    case 'named':
      return undefined;
  }
}

function lowerFirst(s: string): string {
  // Keep `UUID`, `YYYY`… as written: only a capitalised ordinary word is lowered.
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}
