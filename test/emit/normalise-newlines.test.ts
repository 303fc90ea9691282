// The layout every rendered template gets (core/templates.ts): no trailing spaces or tabs, at
// most one blank line in a row, none at the start, exactly one newline at the end; CR, U+2028
// and U+2029 end a line for the trailing-blank rule too.
import { describe, expect, it } from 'vitest';
import { normaliseNewlines } from '../../generator/core/templates.js';

describe('normaliseNewlines', () => {
  const cases: [string, string][] = [
    ['', '\n'],
    ['   \n\t\n', '\n'],
    ['a', 'a\n'],
    ['\n\n\na\n', 'a\n'],
    ['  a  \n', '  a\n'],
    ['a \t \nb\t\n', 'a\nb\n'],
    ['a\n\nb', 'a\n\nb\n'],
    ['a\n\n\n\nb', 'a\n\nb\n'],
    ['a\n  \n\t\n \nb', 'a\n\nb\n'],
    ['a\n\n\n', 'a\n'],
    ['a\u00a0\n\f\n', 'a\n'],
    ['a\f\n\n\nb', 'a\f\n\nb\n'],
    ['a  \r\nb \r\n\r\n\r\n', 'a\r\nb\n'],
    ['x \u2028 y \n\n\n\nz', 'x\u2028 y\n\nz\n'],
    ['a \t b  \t\n', 'a \t b\n'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => expect(normaliseNewlines(input)).toBe(expected));
  }
});
