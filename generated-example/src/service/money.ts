// Money as the spec types it: `decimal(12,2)` is decimal text ("12.50"), never a float. Arithmetic
// on it is done in integer cents (bigint), so totals are exact.

const DECIMAL_TEXT = /^(-)?(\d{1,10})(?:\.(\d{1,2}))?$/;

/** Largest amount a `decimal(12,2)` holds: 10 integer digits, 2 fraction digits. */
export const MAX_CENTS = 10n ** 12n - 1n;

/** Cents of decimal text with at most 2 fraction digits; undefined if it is not such text. */
export function parseCents(text: string): bigint | undefined {
  const m = DECIMAL_TEXT.exec(text);
  if (m === null) return undefined;
  const cents = BigInt(m[2] ?? '0') * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -cents : cents;
}

/** Cents of decimal text that is known to be valid (data decoded by the generated codecs). */
export function cents(text: string): bigint {
  const c = parseCents(text);
  if (c === undefined) throw new TypeError(`not a decimal(12,2) amount: ${JSON.stringify(text)}`);
  return c;
}

/** Canonical decimal text of `cents`: "12.50", "-0.05", "0.00". */
export function formatCents(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}
