// A spec "file" that never ends (/dev/zero, a FIFO) is read only up to the size limit: the CLI
// answers with ES1011 instead of reading until memory runs out.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readBounded } from '../../generator/cli/read-bounded.js';
import { repoRoot, runCli } from '../cli/run-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-read-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it.skipIf(!existsSync('/dev/zero'))('generate /dev/zero: ES1011 at once, nothing written', () => {
  const out = path.join(work, 'out');
  const r = runCli(['generate', '/dev/zero', '--out', out], repoRoot);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^\/dev\/zero:1:1 - error ES1011: file is larger than 4194304 bytes/m);
  expect(existsSync(out)).toBe(false);
});

it.skipIf(!existsSync('/dev/zero'))('readBounded stops one byte past the limit', async () => {
  expect((await readBounded('/dev/zero', 1000)).length).toBe(1001);
  expect((await readBounded(path.join(repoRoot, 'package.json'))).toString('utf8')).toMatch(/"name": "eventsmith"/);
});
