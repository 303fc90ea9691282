import { describe, expect, it } from 'vitest';
import { createCodec, JsonNumber, JsonSyntaxError, parseJson, stringifyJson } from '../../generator/runtime/index.js';

describe('exact JSON reader/writer', () => {
  it('keeps number literals exact', () => {
    const v = parseJson('[9007199254740993, -0, 1.50, 1e400, -9223372036854775808]');
    expect(v).toEqual([new JsonNumber('9007199254740993'), new JsonNumber('-0'), new JsonNumber('1.50'), new JsonNumber('1e400'), new JsonNumber('-9223372036854775808')]);
    expect(stringifyJson(v)).toBe('[9007199254740993,-0,1.50,1e400,-9223372036854775808]');
    expect(new JsonNumber('12').isInteger).toBe(true);
    expect(new JsonNumber('1E2').isInteger).toBe(false);
  });

  it('reads strings with every escape, surrogate pairs and raw non-ASCII', () => {
    expect(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\ud83d\\ude00 é😀"')).toBe('"\\/\b\f\n\r\t\u0000é😀 é😀');
  });

  it('objects keep insertion order, whitespace is insignificant', () => {
    const v = parseJson(' { "b" : 1 ,\n\t"a" : [ true , false , null , { } , [ ] ] } ');
    expect(v).toBeInstanceOf(Map);
    expect(stringifyJson(v)).toBe('{"b":1,"a":[true,false,null,{},[]]}');
  });

  it.each([
    ['', 'unexpected end of input'],
    ['01', 'unexpected text after the value'],
    ['1.', 'unexpected text after the value'],
    ['+1', 'unexpected character'],
    ['.5', 'unexpected character'],
    ['NaN', 'unexpected character'],
    ['"a', 'unterminated string'],
    ['"\u0001"', 'control character in string'],
    ['"\\x"', 'invalid escape'],
    ['"\\u12"', 'invalid \\u escape'],
    ['{"a":1,"a":2}', 'duplicate key "a"'],
    ['{a:1}', 'expected a string key'],
    ['[1,]', 'unexpected character'],
    ['[1 2]', 'expected "," or "]"'],
    ['{"a" 1}', 'expected ":"'],
    ['tru', 'unexpected character'],
    ['[]]', 'unexpected text after the value'],
    ['['.repeat(5000), 'nesting too deep'],
  ])('rejects %j', (text, message) => {
    expect(() => parseJson(text)).toThrow(JsonSyntaxError);
    expect(() => parseJson(text)).toThrow(message);
  });
});

describe('schemas with defaults', () => {
  it('accepts defaults as JSON numbers, bigints (from YAML) and Avro JSON strings', () => {
    const codec = createCodec<unknown>({
      type: 'record', name: 'D', fields: [
        { name: 'n', type: 'long', default: 5 },
        { name: 'big', type: 'long', default: 2n ** 60n },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 }, default: '\u0000' },
        { name: 'list', type: { type: 'array', items: 'long' }, default: [1, 2] },
        { name: 'dict', type: { type: 'map', values: 'long' }, default: { a: 1 } },
        { name: 'opt', type: ['null', 'long'], default: null },
      ],
    });
    const value = { n: 1n, big: 2n, at: new Date(3), amount: '0.04', list: [5n], dict: { b: 6n }, opt: 7n };
    expect(codec.fromBinary(codec.toBinary(value))).toEqual(value);
  });
});
