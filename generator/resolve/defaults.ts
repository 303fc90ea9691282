// Checks a YAML value against a TypeRef and returns it in the model's normal form, the form
// the TypeScript mapping uses where a plain value can express it:
//   long, timestamp-micros → bigint; decimal → canonical text with exactly `scale` fraction
//   digits ("12.50"); timestamp-millis → epoch milliseconds (number); date → "YYYY-MM-DD";
//   record → every field in declaration order, omitted ones filled from their defaults;
//   record and map values are null-prototype objects (a `__proto__` key stays data).
import type { Field, TypeRef, Value } from '../core/model.js';
import { describeValue, entriesOf, has, isMapping, type Path } from './context.js';
import { formatType } from './type-expr.js';

export interface ValueEnv {
  /** The (normalised) default of a field, or undefined when it has none. */
  defaultOf(field: Field): { readonly value: Value } | undefined;
  /** Whether `owner` lost field `name` to a type error already reported (no follow-on error then). */
  isUnresolved?(owner: string, name: string): boolean;
}

export interface ValueOptions {
  /**
   * Avro takes a union's default from its first branch, null for `T?`; so inside a default an
   * optional value can only be null. Literals in apply/upcast rules are values, not defaults.
   */
  readonly optionalMustBeNull: boolean;
}

export type ValueResult =
  | { readonly ok: true; readonly value: Value }
  /** `at` is the path inside the value (`[2, 'amount']`) so the error points at the culprit. */
  | { readonly ok: false; readonly message: string; readonly at: Path };

class Mismatch {
  constructor(
    readonly message: string,
    readonly at: Path,
  ) {}
}

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const int64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
/** ECMAScript Date range: ±100,000,000 days around the epoch. */
const maxDateMillis = 8.64e15;
const millisPerDay = 86_400_000;

export function checkValue(raw: unknown, type: TypeRef, env: ValueEnv, options: ValueOptions): ValueResult {
  try {
    return { ok: true, value: check(raw, type, env, options, []) };
  } catch (e) {
    if (e instanceof Mismatch) return { ok: false, message: e.message, at: e.at };
    throw e;
  }
}

function fail(message: string, at: Path): never {
  throw new Mismatch(message, at);
}

function notA(raw: unknown, type: TypeRef, at: Path, why = ''): never {
  fail(`${describeValue(raw)} is not a valid ${formatType(type)}${why}`, at);
}

function check(raw: unknown, type: TypeRef, env: ValueEnv, options: ValueOptions, at: Path): Value {
  switch (type.kind) {
    case 'primitive':
      return primitive(raw, type, at);
    case 'logical':
      return logical(raw, type, at);
    case 'decimal':
      return decimal(raw, type, at);
    case 'optional':
      if (raw === null) return null;
      if (options.optionalMustBeNull) {
        fail(`the default of ${formatType(type)} must be null: Avro takes a union's default from its first branch, null`, at);
      }
      return check(raw, type.type, env, options, at);
    case 'array':
      if (!Array.isArray(raw)) notA(raw, type, at, ': expected a list');
      return raw.map((item, i) => check(item, type.items, env, options, [...at, i]));
    case 'map': {
      if (!isMapping(raw)) notA(raw, type, at, ': expected a mapping');
      const out = Object.create(null) as Record<string, Value>;
      for (const [k, v] of entriesOf(raw)) out[k] = check(v, type.values, env, options, [...at, k]);
      return out;
    }
    case 'named': {
      const named = type.type;
      if (named.kind === 'enum') {
        if (typeof raw !== 'string' || !named.symbols.includes(raw)) {
          fail(`${describeValue(raw)} is not a symbol of ${named.name} (${named.symbols.join(', ')})`, at);
        }
        return raw;
      }
      if (named.kind === 'fixed') {
        if (typeof raw !== 'string' || raw.length !== named.size || !isLatin1(raw)) {
          notA(raw, type, at, `: expected a string of ${named.size} characters U+0000–U+00FF, one per byte (Avro JSON)`);
        }
        return raw;
      }
      if (!isMapping(raw)) notA(raw, type, at, ': expected a mapping of its fields');
      for (const key of Object.keys(raw)) {
        if (!named.fields.some((f) => f.name === key) && env.isUnresolved?.(named.name, key) !== true) fail(`${named.name} has no field \`${key}\``, [...at, key]);
      }
      const out = Object.create(null) as Record<string, Value>;
      for (const field of named.fields) {
        if (has(raw, field.name)) {
          out[field.name] = check(raw[field.name], field.type, env, options, [...at, field.name]);
          continue;
        }
        const d = env.defaultOf(field);
        if (!d) fail(`missing field \`${field.name}\` of ${named.name} (it has no default)`, at);
        out[field.name] = d.value;
      }
      return out;
    }
  }
}

function primitive(raw: unknown, type: Extract<TypeRef, { kind: 'primitive' }>, at: Path): Value {
  switch (type.name) {
    case 'string':
      if (typeof raw !== 'string') notA(raw, type, at, ' (quote it to make it a string)');
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') notA(raw, type, at, ': expected true or false');
      return raw;
    case 'bytes':
      if (typeof raw !== 'string' || !isLatin1(raw)) notA(raw, type, at, ': expected a string of characters U+0000–U+00FF, one per byte (Avro JSON)');
      return raw;
    case 'int':
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < int32.min || raw > int32.max) {
        notA(raw, type, at, ': expected an integer from -2147483648 to 2147483647');
      }
      return raw;
    case 'long':
      return long(raw, type, at);
    case 'float':
    case 'double': {
      let n: number | undefined;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'bigint' && BigInt(Number(raw)) === raw) n = Number(raw);
      if (n === undefined || !Number.isFinite(n)) notA(raw, type, at, ': expected a finite number (JSON has no NaN or Infinity)');
      if (type.name === 'float' && !Number.isFinite(Math.fround(n))) notA(raw, type, at, ': out of the float range');
      // Avro JSON (the .avsc default) is written by JSON.stringify, which prints -0 as 0, while
      // the TypeScript side would keep -0: refuse the one value the two cannot agree on.
      if (Object.is(n, -0)) fail('-0.0 would be 0 in the Avro schema but -0 in TypeScript; write 0', at);
      return n;
    }
  }
}

function long(raw: unknown, type: TypeRef, at: Path): bigint {
  let v: bigint | undefined;
  if (typeof raw === 'bigint') v = raw;
  else if (typeof raw === 'number' && Number.isSafeInteger(raw)) v = BigInt(raw);
  if (v === undefined || v < int64.min || v > int64.max) notA(raw, type, at, ': expected a 64-bit integer');
  return v;
}

function logical(raw: unknown, type: Extract<TypeRef, { kind: 'logical' }>, at: Path): Value {
  switch (type.name) {
    case 'uuid':
      if (typeof raw !== 'string' || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) {
        notA(raw, type, at, ': expected 8-4-4-4-12 hexadecimal digits');
      }
      return raw;
    case 'date':
      if (typeof raw !== 'string' || parseDate(raw) === undefined) notA(raw, type, at, ': expected a calendar date YYYY-MM-DD');
      return raw;
    case 'time-millis':
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw >= millisPerDay) {
        notA(raw, type, at, ': expected milliseconds after midnight, 0 to 86399999');
      }
      return raw;
    case 'timestamp-millis': {
      if (typeof raw === 'string') {
        const t = parseTimestamp(raw);
        if (!t) notA(raw, type, at, ': expected an ISO-8601 timestamp with a zone, e.g. 2024-01-31T12:00:00Z');
        if (t.micros % 1000n !== 0n) notA(raw, type, at, ': timestamp-millis holds milliseconds; drop the extra fraction digits');
        const ms = Number(t.micros / 1000n);
        if (Math.abs(ms) > maxDateMillis) notA(raw, type, at, ': outside the range of a JavaScript Date');
        return ms;
      }
      const ms = long(raw, type, at);
      if (ms < -BigInt(maxDateMillis) || ms > BigInt(maxDateMillis)) notA(raw, type, at, ': outside the range of a JavaScript Date');
      return Number(ms);
    }
    case 'timestamp-micros': {
      if (typeof raw === 'string') {
        const t = parseTimestamp(raw);
        if (!t) notA(raw, type, at, ': expected an ISO-8601 timestamp with a zone, e.g. 2024-01-31T12:00:00.000001Z');
        if (t.micros < int64.min || t.micros > int64.max) notA(raw, type, at, ': outside the 64-bit range');
        return t.micros;
      }
      return long(raw, type, at);
    }
  }
}

function decimal(raw: unknown, type: Extract<TypeRef, { kind: 'decimal' }>, at: Path): string {
  let text: string;
  if (typeof raw === 'string') text = raw.trim();
  else if (typeof raw === 'bigint') text = raw.toString();
  else if (typeof raw === 'number' && Number.isFinite(raw)) {
    text = String(raw);
    // A YAML number is parsed as a double: past 15 significant digits (or in exponent form)
    // its text may no longer be what the user wrote.
    if (/e/i.test(text) || text.replace(/[-.]/g, '').replace(/^0+/, '').length > 15) {
      notA(raw, type, at, ': too many digits to be exact as a YAML number; quote it');
    }
  } else {
    notA(raw, type, at, ': expected decimal text such as "12.50"');
  }
  const m = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!m) notA(raw, type, at, ': expected decimal text such as "12.50"');
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '0').replace(/^0+(?=.)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > type.scale) notA(raw, type, at, `: more than ${type.scale} fraction digit${type.scale === 1 ? '' : 's'}`);
  const intDigits = intPart === '0' ? 0 : intPart.length;
  if (intDigits + type.scale > type.precision) {
    notA(raw, type, at, `: at most ${type.precision - type.scale} digit${type.precision - type.scale === 1 ? '' : 's'} before the point`);
  }
  const fraction = frac.padEnd(type.scale, '0');
  const zero = intPart === '0' && /^0*$/.test(fraction);
  return `${zero ? '' : sign}${intPart}${type.scale > 0 ? `.${fraction}` : ''}`;
}

function isLatin1(s: string): boolean {
  return /^[\u0000-\u00ff]*$/.test(s);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (exact integer arithmetic). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since the epoch of `YYYY-MM-DD`, or undefined when it is not a real date. */
export function parseDate(s: string): number | undefined {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return daysFromCivil(y, mo, d);
}

/** `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` → microseconds since the epoch (sub-µs digits must be 0). */
export function parseTimestamp(s: string): { micros: bigint } | undefined {
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))$/.exec(s);
  if (!m) return undefined;
  const days = parseDate(m[1] ?? '');
  const [h, mi, sec] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (days === undefined || h > 23 || mi > 59 || sec > 59) return undefined;
  const frac = (m[5] ?? '').padEnd(9, '0');
  if (!/000$/.test(frac)) return undefined;
  let offsetMinutes = 0;
  if (m[6] === undefined) {
    const [oh, om] = [Number(m[8]), Number(m[9])];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[7] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const seconds = BigInt(days) * 86400n + BigInt(h * 3600 + mi * 60 + sec) - BigInt(offsetMinutes * 60);
  return { micros: seconds * 1_000_000n + BigInt(frac.slice(0, 6)) };
}
