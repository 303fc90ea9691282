import { describe, expect, test } from 'vitest';
import { behaviourCases } from './cases-behaviour.js';
import { sagaCases } from './cases-sagas.js';
import { typeCases, type Case } from './cases-types.js';
import { header, run } from './helpers.js';

function check(c: Case): void {
  const files = typeof c.yaml === 'string' ? { 't.yaml': header + c.yaml } : c.yaml;
  const { model, diags } = run(files);
  const actual = diags.sorted().map((d) => {
    const w = c.want.find(([code, line, col, msg]) => code === d.code && line === d.line && col === d.col && d.message.includes(msg));
    return [d.code, d.line, d.col, w ? w[3] : d.message, d.file];
  });
  const want = c.want.map(([code, line, col, msg, file]) => [code, line, col, msg, file ?? 't.yaml']);
  expect(actual).toEqual(want);
  expect(model).toBeUndefined();
  for (const d of diags.items) expect(d.path).not.toBe('');
}

describe('resolve reports', () => {
  test.each(typeCases)('%s', (_name, c) => check(c));
  test.each(behaviourCases)('%s', (_name, c) => check(c));
  test.each(sagaCases)('%s', (_name, c) => check(c));
});
