// Engine errors never reach users: should any walk still run out of stack (every one over user
// input is meant to be bounded), generate and validate report a coded diagnostic instead of
// "Maximum call stack size exceeded" or a crash.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { TemplateSet } from '../../generator/core/templates.js';
import { generate } from '../../generator/pipeline.js';

const minimal = readFileSync(path.join(import.meta.dirname, '..', 'cases', 'minimal', 'input.yaml'));

it('a stack overflow while generating is ES4004 at the spec, not an engine message', () => {
  const overflowing: TemplateSet = {
    overridden: [],
    render() {
      const deeper = (n: number): number => deeper(n + 1) + 1;
      return String(deeper(0));
    },
  };
  const result = generate([{ file: 'events/shop.yaml', text: minimal }], overflowing);
  expect(result.files).toBeUndefined();
  expect(result.diagnostics).toEqual([expect.objectContaining({ code: 'ES4004', file: 'events/shop.yaml', line: 1, col: 1 })]);
  expect(result.diagnostics[0]?.message).not.toMatch(/call stack/i);
});
