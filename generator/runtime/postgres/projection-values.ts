/**
 * Conversions between the TypeScript mapping and PostgreSQL for generated projection code. The
 * generated SQL casts every parameter to its column's exact type ($1::numeric(12,2), ...) and
 * selects bigint, numeric, uuid and date columns as text, so no value passes through a float or
 * a time zone on the way.
 */
import { toBuffer } from './db.js';

/** A value as a pg parameter: bigint as decimal text, bytes as a Buffer, lists element by element. */
export function sqlValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return toBuffer(value);
  if (Array.isArray(value)) return value.map(sqlValue);
  return value;
}

function fail(column: string, expected: string, value: unknown): never {
  throw new TypeError(`eventsmith: column ${column}: expected ${expected}, got ${value === null ? 'null' : typeof value}`);
}

export function columnText(value: unknown, column: string): string {
  return typeof value === 'string' ? value : fail(column, 'text', value);
}

export function columnNumber(value: unknown, column: string): number {
  return typeof value === 'number' ? value : fail(column, 'a number', value);
}

export function columnBigInt(value: unknown, column: string): bigint {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : fail(column, 'integer text', value);
}

export function columnBoolean(value: unknown, column: string): boolean {
  return typeof value === 'boolean' ? value : fail(column, 'a boolean', value);
}

export function columnBytes(value: unknown, column: string): Uint8Array {
  return value instanceof Uint8Array ? new Uint8Array(value) : fail(column, 'bytes', value);
}

export function columnDate(value: unknown, column: string): Date {
  return value instanceof Date ? value : fail(column, 'a timestamp', value);
}

export function columnEnum<T extends string>(value: unknown, symbols: readonly T[], column: string): T {
  const found = symbols.find((s) => s === value);
  return found ?? fail(column, `one of ${symbols.join(', ')}`, value);
}

export function columnArray<T>(value: unknown, column: string, item: (v: unknown, column: string) => T): T[] {
  return Array.isArray(value) ? value.map((v: unknown) => item(v, column)) : fail(column, 'an array', value);
}

export function columnNullable<T>(value: unknown, column: string, item: (v: unknown, column: string) => T): T | null {
  return value === null || value === undefined ? null : item(value, column);
}
