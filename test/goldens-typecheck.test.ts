// The goldens and the committed example must compile under the strictest settings we promise
// users: tsc --strict --noUncheckedIndexedAccess (tsconfig.goldens.json).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

it('generated goldens and the example type-check under --strict --noUncheckedIndexedAccess', () => {
  let output = '';
  try {
    output = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.goldens.json'], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(output).toBe('');
  const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.goldens.json', '--listFilesOnly'], { cwd: root, encoding: 'utf8' });
  // Guard against a glob that silently matches nothing.
  expect(listed).toMatch(/test\/cases\/orders\/expected\/orders\/types\.ts/);
  expect(listed).toMatch(/generated-example\/src\/generated\/orders\/envelopes\.ts/);
}, 120_000);
