import { describe, expect, it } from 'vitest';
import { codeFrame, renderDiagnostics } from '../../generator/cli/report.js';
import type { Diagnostic } from '../../generator/core/diagnostics.js';

const source = 'domain: com.acme.shop\nsource: urn:acme:shop\naggregates:\n  Cart:\n    id: strin\n';
const diag: Diagnostic = { code: 'ES3018', severity: 'error', message: 'bad id type', file: 'events/cart.yaml', line: 5, col: 9, path: 'aggregates.Cart.id' };

describe('report', () => {
  it('code frame: two lines of context, the line marked, a caret under the column', () => {
    expect(codeFrame(source, 5, 9)).toBe(['  3 | aggregates:', '  4 |   Cart:', '> 5 |     id: strin', '    |         ^'].join('\n'));
  });

  it('text with frames (a terminal) and without (CI logs, pipes)', () => {
    const sources = new Map([['events/cart.yaml', source]]);
    expect(renderDiagnostics([diag], { format: 'text', frames: true, sources })).toBe(
      'events/cart.yaml:5:9 - error ES3018: bad id type\n  3 | aggregates:\n  4 |   Cart:\n> 5 |     id: strin\n    |         ^\n\n1 error\n',
    );
    expect(renderDiagnostics([diag], { format: 'text', frames: false, sources })).toBe('events/cart.yaml:5:9 - error ES3018: bad id type\n');
  });

  it('json carries every field', () => {
    expect(JSON.parse(renderDiagnostics([diag], { format: 'json', frames: false, sources: new Map() }))).toEqual({ diagnostics: [diag] });
  });
});
