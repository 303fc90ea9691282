// End-to-end case folders: test/cases/<name>/input.yaml with either expected/** (the whole
// generated output; the user-owned stubs, which live in the custom folder, under
// expected/user-owned/**) or, for names starting with `bad-`, expected-stderr.txt. Golden files are
// committed; under CI=true vitest refuses to write a missing one, so an uncommitted golden fails.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../generator/cli/report.js';
import { builtInTemplates } from '../generator/cli/project.js';
import { createTemplateSet } from '../generator/core/templates.js';
import { generate } from '../generator/pipeline.js';

const casesDir = path.join(import.meta.dirname, 'cases');
const cases = readdirSync(casesDir).filter((n) => statSync(path.join(casesDir, n)).isDirectory()).sort();

function listFiles(dir: string, prefix = ''): string[] {
  let out: string[] = [];
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      out = e.isDirectory() ? [...out, ...listFiles(path.join(dir, e.name), rel)] : [...out, rel];
    }
  } catch {
    return [];
  }
  return out;
}

/** Generated files by their path in the output folder; user-owned ones apart, as their folder is. */
const goldenPath = (f: { path: string; userOwned?: boolean }): string => (f.userOwned ? `user-owned/${f.path}` : f.path);
/** The custom folder as the goldens lay it out, so the generated and user-owned goldens import each other and type-check. */
const options = { runtimeModule: 'eventsmith/runtime', customDir: { fromOut: 'user-owned', toOut: '..' } };

describe('case folders', async () => {
  const templates = createTemplateSet(await builtInTemplates());
  it('has cases', () => expect(cases.length).toBeGreaterThan(20));

  describe.each(cases)('%s', (name) => {
    const dir = path.join(casesDir, name);
    const inputs = readdirSync(dir)
      .filter((f) => /^input.*\.yaml$/.test(f))
      .sort()
      .map((f) => ({ file: f, text: readFileSync(path.join(dir, f)) }));

    if (name.startsWith('bad-')) {
      it('is refused with diagnostics and no files', async () => {
        const result = generate(inputs, templates);
        expect(result.files).toBeUndefined();
        expect(result.diagnostics.length).toBeGreaterThan(0);
        await expect(renderDiagnostics(result.diagnostics, { format: 'text', frames: false, sources: new Map() })).toMatchFileSnapshot(path.join(dir, 'expected-stderr.txt'));
      });
      return;
    }

    it('generates the expected files', async () => {
      const result = generate(inputs, templates, options);
      expect(result.diagnostics).toEqual([]);
      const files = result.files ?? [];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) await expect(f.content).toMatchFileSnapshot(path.join(dir, 'expected', goldenPath(f)));
      // A golden that generate no longer writes is a stale golden.
      expect(listFiles(path.join(dir, 'expected')).sort()).toEqual(files.map(goldenPath).sort());
    });

    it('is deterministic', () => {
      const a = generate(inputs, templates, options).files ?? [];
      const b = generate(inputs, templates, options).files ?? [];
      expect(b.map((f) => [f.path, f.content])).toEqual(a.map((f) => [f.path, f.content]));
    });
  });
});
