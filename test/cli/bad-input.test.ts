// Every bad-input category, through the real CLI: exit 2, file:line:col with a stable code,
// no stack trace, and nothing written.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './run-cli.js';

const casesDir = path.join(repoRoot, 'test', 'cases');
const bad = readdirSync(casesDir).filter((n) => n.startsWith('bad-')).sort();
const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-bad-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bad input through the CLI', () => {
  it('covers every category the issue lists', () => expect(bad.length).toBeGreaterThanOrEqual(23));

  it.each(bad)('%s: exit 2, a coded diagnostic with a position, no stack, nothing written', (name) => {
    const out = path.join(work, name);
    // Every input*.yaml of the case: some categories (a clash across domains) need two files.
    const inputs = readdirSync(path.join(casesDir, name)).filter((f) => /^input.*\.yaml$/.test(f)).sort();
    const r = runCli(['generate', ...inputs.map((f) => path.join(casesDir, name, f)), '--out', out], repoRoot);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^test\/cases\/bad-[a-z0-9-]+\/input\.yaml:\d+:\d+ - error ES\d{4}: \S/m);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
