// The goldens and the committed example must compile under the strictest settings we promise
// users: tsc --strict --noUncheckedIndexedAccess (tsconfig.goldens.json).
//
// One exception, by design: the user-owned stubs under `test/cases/*/expected/user-owned/` are
// goldens of what `generate` writes before the user fills them in, and an unfilled stub must
// NOT compile (it has no return statement: TS2355). They cannot simply be excluded in
// tsconfig.goldens.json: the generated upcasters.ts/reducers.ts beside them import them, and tsc
// type-checks every file a checked file imports whatever `exclude` says. So the test allows
// exactly one TS2355 per stub, at the stub's declaration, and nothing else; the example's
// custom files are filled in (the hand-written part of the example) and must compile cleanly.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

const stubError = /^(test\/cases\/[^/]+\/expected\/user-owned\/(?:[^/]+\/)*[^/]+\.ts)\((\d+),(\d+)\): error TS2355: /;

it('generated goldens and the example type-check under --strict --noUncheckedIndexedAccess', () => {
  let output = '';
  try {
    output = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.goldens.json'], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  const lines = output.split('\n').filter((l) => l.length > 0);
  const unexpected = lines.filter((l) => !stubError.test(l));
  expect(unexpected).toEqual([]);
  const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.goldens.json', '--listFilesOnly'], { cwd: root, encoding: 'utf8' });
  // Guard against a glob that silently matches nothing.
  expect(listed).toMatch(/test\/cases\/orders\/expected\/orders\/types\.ts/);
  expect(listed).toMatch(/generated-example\/src\/generated\/orders\/envelopes\.ts/);
  expect(listed).toMatch(/generated-example\/src\/eventsmith\/orders\/reducers\.ts/);
  expect(listed).toMatch(/generated-example\/src\/eventsmith\/orders\/upcasters\.ts/);

  // Each stub fails exactly once, at its own declaration, and every stub is there.
  const stubs = [...listed.matchAll(/^.*\/(test\/cases\/[^\n]*\/expected\/user-owned\/[^\n]+\.ts)$/gm)].map((m) => m[1] ?? '');
  expect(stubs.length).toBeGreaterThan(0);
  let declared = 0;
  for (const file of stubs) {
    const text = readFileSync(path.join(root, file), 'utf8').split('\n');
    const decls = text.flatMap((l, i) => (l.startsWith('export function ') ? [i + 1] : []));
    declared += decls.length;
    // TS2355 points at the return type: on the declaration's line, or below it when the parameters wrap.
    const failing = lines.flatMap((l) => {
      const m = stubError.exec(l);
      return m && m[1] === file ? [Math.max(...decls.filter((d) => d <= Number(m[2])))] : [];
    });
    expect(failing, file).toEqual(decls);
  }
  expect(lines).toHaveLength(declared);
}, 120_000);
