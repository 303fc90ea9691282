// The spec path is printed into every generated file's header comment and every diagnostic: a
// line break in a file name must not end the comment (code injection) or start a new line.
import { describe, expect, it } from 'vitest';
import { banner, markdownBanner } from '../../generator/core/generated-file.js';
import { formatDiagnostic } from '../../generator/core/diagnostics.js';

describe('spec paths with line breaks', () => {
  const names = ['a\nexport const pwned = 1;\n.yaml', 'a\rexport const pwned = 1;.yaml', 'a\u2028export const pwned = 1;.yaml', 'a\u2029x.yaml'];

  it.each(names)('stay inside the banner comment: %j', (name) => {
    const text = banner([name]);
    const lines = text.split(/\r\n|[\n\r\u2028\u2029]/);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.startsWith('// ')).toBe(true);
    expect(text).toMatch(/\\u(000a|000d|2028|2029)/);
    expect(markdownBanner([name]).split(/[\n\r\u2028\u2029]/)).toHaveLength(4);
  });

  it.each(names)('stay on the diagnostic line: %j', (name) => {
    const line = formatDiagnostic({ code: 'ES1001', severity: 'error', message: 'm', file: name, line: 1, col: 1, path: '' });
    expect(line.split(/[\n\r\u2028\u2029]/)).toHaveLength(1);
  });
});
