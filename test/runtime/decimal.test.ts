// addDecimal: exact decimal addition on canonical text, used by generated reducers that
// `increment` a decimal field.
import { describe, expect, it } from 'vitest';
import { addDecimal } from '../../generator/runtime/index.js';

describe('addDecimal', () => {
  it.each([
    ['0.10', '0.20', 2, '0.30'],
    ['12.50', '0.05', 2, '12.55'],
    ['1', '2', 0, '3'],
    ['-1.25', '1.25', 2, '0.00'],
    ['-0.01', '0.00', 2, '-0.01'],
    ['0.5', '0.25', 2, '0.75'],
    ['99999999999999999999.99', '0.01', 2, '100000000000000000000.00'],
    ['9223372036854775807', '1', 0, '9223372036854775808'],
    ['-5.000', '2', 3, '-3.000'],
    ['+1.5', '1.50', 2, '3.00'],
    ['0001.1', '0', 1, '1.1'],
  ])('%s + %s (scale %d) = %s', (a, b, scale, want) => expect(addDecimal(a, b, scale)).toBe(want));

  it('is exact where numbers are not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    let total = '0.00';
    for (let i = 0; i < 1000; i++) total = addDecimal(total, '0.01', 2);
    expect(total).toBe('10.00');
  });

  it('accepts trailing zeros beyond the scale, refuses digits that would be lost', () => {
    expect(addDecimal('1.500', '0', 1)).toBe('1.5');
    expect(() => addDecimal('1.05', '0', 1)).toThrow(RangeError);
  });

  it.each([['1e3'], ['NaN'], [''], ['1.'], ['.5'], [' 1']])('refuses %j', (text) => {
    expect(() => addDecimal(text, '0', 2)).toThrow(TypeError);
    expect(() => addDecimal('0', text, 2)).toThrow(TypeError);
  });

  it('refuses a scale that is not a non-negative integer', () => {
    expect(() => addDecimal('1', '1', -1)).toThrow(RangeError);
    expect(() => addDecimal('1', '1', 1.5)).toThrow(RangeError);
  });
});
