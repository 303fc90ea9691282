/**
 * Exact decimal arithmetic on the canonical decimal text of the TypeScript mapping
 * (`decimal(p,s)` ↔ `"12.50"`), for generated reducers that `increment` a decimal field.
 * Numbers would round (0.1 + 0.2); unscaled bigints do not.
 */
import { formatDecimal } from './logical.js';

const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?$/;

function unscaled(text: string, scale: number, which: string): bigint {
  const m = DECIMAL_TEXT.exec(text);
  if (m === null) throw new TypeError(`addDecimal: ${which} ${JSON.stringify(text)} is not decimal text`);
  // Trailing zeros beyond the scale change nothing, so they are accepted.
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) throw new RangeError(`addDecimal: ${which} ${JSON.stringify(text)} has more than ${scale} fraction digits`);
  const magnitude = BigInt(`${m[2] ?? '0'}${fraction.padEnd(scale, '0')}`);
  return m[1] === '-' ? -magnitude : magnitude;
}

/**
 * `a + b` exactly, as canonical text with exactly `scale` fraction digits (`"12.50"`, never
 * `"-0.00"`). Throws on text that is not a decimal or has more fraction digits than `scale`.
 * The precision is not checked here: the codec refuses a value with too many digits.
 */
export function addDecimal(a: string, b: string, scale: number): string {
  if (!Number.isSafeInteger(scale) || scale < 0) throw new RangeError(`addDecimal: scale ${String(scale)} is not a non-negative integer`);
  return formatDecimal(unscaled(a, scale, 'a') + unscaled(b, scale, 'b'), scale);
}
