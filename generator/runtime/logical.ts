/**
 * Pure conversions for the logical types whose TypeScript value differs from the
 * Avro value: date ↔ `YYYY-MM-DD`, decimal ↔ canonical decimal text, two's-complement
 * big-endian integers. Each parser returns an error detail string instead of throwing,
 * so callers can report it together with the value's path.
 */

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// --- date: days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithms) ---

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The proleptic Gregorian calendar date `days` after 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * Formats days since the epoch as an ISO 8601 calendar date. Years 0000–9999 use four
 * digits; others use the expanded form with a sign and at least six digits
 * (`-000001-01-01`, `+010000-01-01`), as `Date#toISOString` does.
 */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const yearText = year >= 0 && year <= 9999
    ? String(year).padStart(4, '0')
    : `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
  return `${yearText}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DATE_PATTERN = /^([+-]\d{6,}|\d{4})-(\d{2})-(\d{2})$/;

/** Parses a canonical date (as `formatDate` writes it) to days since the epoch (an Avro int). */
export function parseDate(text: string): number | { error: string } {
  const m = DATE_PATTERN.exec(text);
  if (m === null) return { error: 'not a YYYY-MM-DD date' };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!Number.isSafeInteger(year) || month < 1 || month > 12 || day < 1 || day > 31) return { error: 'no such date' };
  const days = daysFromCivil(year, month, day);
  if (days < INT_MIN || days > INT_MAX) return { error: 'outside the range of an Avro date' };
  // Rejects both impossible days (02-30) and non-canonical spellings (+002024-01-01, -000000-...).
  if (formatDate(days) !== text) return { error: 'no such date, or not in canonical form' };
  return days;
}

// --- decimal ---

const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses decimal text (`12.5`, `-0.01`, `7`) to the unscaled integer for `scale`.
 * Rejects more fraction digits than `scale` and values needing more than `precision` digits.
 */
export function parseDecimal(text: string, precision: number, scale: number): bigint | { error: string } {
  const m = DECIMAL_PATTERN.exec(text);
  if (m === null) return { error: 'not a decimal number' };
  const fraction = m[3] ?? '';
  if (fraction.length > scale) return { error: `more than ${scale} fraction digits` };
  const magnitude = BigInt(`${m[2] ?? '0'}${fraction.padEnd(scale, '0')}`);
  if (magnitude >= 10n ** BigInt(precision)) return { error: `more than ${precision} digits` };
  return m[1] === '-' ? -magnitude : magnitude;
}

/** Canonical text of unscaled × 10^-scale: no leading zeros, exactly `scale` fraction digits, no `-0`. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  const sign = negative ? '-' : '';
  if (scale === 0) return sign + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Number of digits of |unscaled| (0 has 1 digit). */
export function decimalDigits(unscaled: bigint): number {
  return (unscaled < 0n ? -unscaled : unscaled).toString().length;
}

/** Two's-complement big-endian bytes of `n`: minimal length, or exactly `size` bytes (sign-extended). */
export function toTwosComplement(n: bigint, size?: number): Uint8Array {
  let length = size ?? 1;
  if (size === undefined) {
    while (n < -(1n << BigInt(8 * length - 1)) || n >= 1n << BigInt(8 * length - 1)) length++;
  }
  const out = new Uint8Array(length);
  let v = BigInt.asUintN(8 * length, n);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Inverse of `toTwosComplement`; empty input is 0. */
export function fromTwosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
  return BigInt.asIntN(8 * bytes.length, unsigned);
}
