// All-or-nothing writes: a target that cannot be written (a folder or file in the way, a name
// too long) refuses the whole run before anything is touched, and a failure half-way through
// the renames puts back what was already replaced.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtInTemplates } from '../../generator/cli/project.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { generate } from '../../generator/pipeline.js';
import { commitAll, WriteRefusedError } from '../../generator/write/all-or-nothing.js';
import { writeOutput } from '../../generator/write/index.js';
import { repoRoot, runCli } from '../cli/run-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-write-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const input = path.join(repoRoot, 'test/cases/minimal/input.yaml');

/** Every file and folder under `dir` with its content, to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) {
        out[`${r}/`] = '';
        walk(p, r);
      } else out[r] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('all-or-nothing writes', async () => {
  const templates = createTemplateSet(await builtInTemplates());
  const files = generate([{ file: 'input.yaml', text: readFileSync(input) }], templates).files ?? [];

  it('a folder where a generated file goes: refused, nothing written', async () => {
    const out = path.join(work, 'dir-in-the-way');
    mkdirSync(path.join(out, 'shop', 'types.ts'), { recursive: true });
    const before = snapshot(out);
    await expect(writeOutput(out, files)).rejects.toThrow(WriteRefusedError);
    await expect(writeOutput(out, files)).rejects.toThrow(/shop\/types\.ts' is in the way/);
    expect(snapshot(out)).toEqual(before);
  });

  it('a file where a generated folder goes: refused, nothing written', async () => {
    const out = path.join(work, 'file-in-the-way');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'shop'), 'mine');
    const before = snapshot(out);
    await expect(writeOutput(out, files)).rejects.toThrow(/'shop' is in the way/);
    expect(snapshot(out)).toEqual(before);
  });

  it('an output folder so deep the paths exceed PATH_MAX: ES4005, nothing made', async () => {
    const out = path.join(work, 'deep', ...Array.from({ length: 20 }, () => 'x'.repeat(200)));
    await expect(writeOutput(out, files)).rejects.toMatchObject({ code: 'ES4005' });
    expect(existsSync(path.join(work, 'deep'))).toBe(false);
  });

  it('a rename failing half-way puts back the files already replaced', async () => {
    const root = path.join(work, 'rollback');
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'a.txt'), 'old a');
    const changes = [
      { path: 'a.txt', content: 'new a', previous: 'old a' },
      { path: 'b.txt', content: 'new b', previous: undefined },
      // Its folder does not exist: the rename fails after a.txt and b.txt were moved.
      { path: 'missing/c.txt', content: 'new c', previous: undefined },
    ];
    await expect(commitAll(root, changes)).rejects.toThrow(/ENOENT/);
    expect(snapshot(root)).toEqual({ 'a.txt': 'old a' });
  });

  it('through the CLI: exit 2, ES4003 at the output folder, the folder as it was', () => {
    const out = path.join(work, 'cli');
    mkdirSync(path.join(out, 'shop', 'avro'), { recursive: true });
    writeFileSync(path.join(out, 'shop', 'avro', 'fingerprints.json'), 'x');
    mkdirSync(path.join(out, 'shop', 'reducers.ts'));
    const before = snapshot(out);
    const r = runCli(['generate', input, '--out', out], repoRoot);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ - error ES4003: 'shop\/reducers\.ts' is in the way/);
    expect(snapshot(out)).toEqual(before);
  });
});
