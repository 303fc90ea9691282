// The claims table (generator/core/claims.ts) must list every module-scope name generated code
// declares or imports: a name it misses is a collision resolve cannot report. This test reads
// the top-level names of real generated output (every case folder, the fixtures, the example)
// and fails for any that is not claimed in its scope.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInTemplates } from '../../generator/cli/project.js';
import { domainClaims, kafkaScopeClaims, testingScopeClaims } from '../../generator/core/claims.js';
import { domainSlug } from '../../generator/core/names.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { generate, type SpecInput } from '../../generator/pipeline.js';

const root = path.join(import.meta.dirname, '..', '..');

function inputSets(): { name: string; inputs: SpecInput[] }[] {
  const sets: { name: string; inputs: SpecInput[] }[] = [];
  const casesDir = path.join(root, 'test/cases');
  for (const c of readdirSync(casesDir).sort()) {
    const dir = path.join(casesDir, c);
    if (c.startsWith('bad-') || !statSync(dir).isDirectory()) continue;
    const inputs = readdirSync(dir).filter((f) => /^input.*\.yaml$/.test(f)).sort().map((f) => ({ file: f, text: readFileSync(path.join(dir, f)) }));
    sets.push({ name: c, inputs });
  }
  const fixtures = ['orders.yaml', 'inventory.yaml', 'payment.yaml'].map((f) => ({ file: f, text: readFileSync(path.join(root, 'test/fixtures', f)) }));
  sets.push({ name: 'fixtures', inputs: fixtures });
  const exampleEvents = path.join(root, 'generated-example/events');
  sets.push({ name: 'example', inputs: readdirSync(exampleEvents).sort().map((f) => ({ file: f, text: readFileSync(path.join(exampleEvents, f)) })) });
  return sets;
}

/** Top-level declarations, named imports and namespace imports of one generated TypeScript file. */
export function topLevelNames(text: string): string[] {
  const names = [...text.matchAll(/^(?:export )?(?:declare )?(?:async )?(?:const|let|function|type|interface|class|enum) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1] ?? '');
  for (const m of text.matchAll(/^import (?:type )?\{([^}]*)\} from '[^']+';/gm)) {
    for (const part of (m[1] ?? '').split(',')) {
      const name = part.trim().replace(/^type /, '').split(/\s+as\s+/).pop()?.trim();
      if (name) names.push(name);
    }
  }
  for (const m of text.matchAll(/^import (?:type )?\* as ([A-Za-z_$][\w$]*) from/gm)) names.push(m[1] ?? '');
  return names;
}

describe('the claims table covers every generated top-level name', async () => {
  const templates = createTemplateSet(await builtInTemplates());
  it.each(inputSets())('$name', ({ inputs }) => {
    const result = generate(inputs, templates);
    expect(result.diagnostics).toEqual([]);
    const model = result.model;
    expect(model).toBeDefined();
    let checked = 0;
    for (const domain of model?.domains ?? []) {
      const slug = domainSlug(domain.name);
      const main = new Set(domainClaims(domain).map((c) => c.name));
      const kafka = new Set(kafkaScopeClaims(domain).map((c) => c.name));
      const testing = new Set(testingScopeClaims(domain).map((c) => c.name));
      for (const f of result.files ?? []) {
        if (!f.path.startsWith(`${slug}/`) || !f.path.endsWith('.ts')) continue;
        const file = f.path.slice(slug.length + 1);
        // sagas.ts has its own table (resolve/saga-names.ts, checked in test/resolve).
        if (file === 'sagas.ts' || file === 'custom/sagas.ts') continue;
        const scope = f.userOwned ? main : file === 'kafka.ts' ? kafka : file === 'testing.ts' ? testing : main;
        const missing = topLevelNames(f.content).filter((n) => !scope.has(n));
        expect(missing, `${f.path}: names the claims table does not list`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
