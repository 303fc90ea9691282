// The kits of `eventsmith/testing` (built package) under two test frameworks: every scenario of
// scenarios.mjs as a vitest test, and the same file of scenarios under node:test in a child
// process, which must report each of them passed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarios } from './scenarios.mjs';

const here = import.meta.dirname;
mkdirSync(path.join(here, '..', 'tmp'), { recursive: true });

describe('under vitest', () => {
  it.each(Object.entries(scenarios))('%s', (_name, run) => {
    run();
  });
});

describe('under node:test', () => {
  it('runs every scenario and passes', () => {
    const out = execFileSync(process.execPath, ['--test', '--test-reporter=tap', path.join(here, 'kit.node-test.mjs')], { encoding: 'utf8' });
    const count = Object.keys(scenarios).length;
    expect(out).toMatch(new RegExp(`^# pass ${count}$`, 'm'));
    expect(out).toMatch(/^# fail 0$/m);
  });

  it('reports a failing kit assertion as a failed test, with the diff', () => {
    const failing = `import { test } from 'node:test'; import { reducerKit } from 'eventsmith/testing';
test('wrong state', () => reducerKit({ name: 'C', initialState: 0, evolve: (s) => s + 1, upcast: (e) => e }).given({ type: 'x', dataVersion: 1, data: null }).then(2));`;
    // Under test/tmp (git-ignored), inside the package, so `eventsmith/testing` resolves to the build.
    const dir = mkdtempSync(path.join(here, '..', 'tmp', 'kit-'));
    const file = path.join(dir, 'failing.node-test.mjs');
    writeFileSync(file, failing);
    let out = '';
    try {
      execFileSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(out).toMatch(/^# fail 1$/m);
    expect(out).toMatch(/C: the state after 1 event differs/);
  });
});
