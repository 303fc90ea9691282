// The built templates (dist/, global-setup builds it with scripts/precompile.mjs) come
// precompiled; an edited built-in template or a user's override must still be compiled from
// its text, never replaced by the build's copy.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = path.join(import.meta.dirname, '../../dist/generator');
const built = (await import(pathToFileURL(path.join(dist, 'core/templates.js')).href)) as typeof import('../../generator/core/templates.js');
const { builtInTemplates } = (await import(pathToFileURL(path.join(dist, 'cli/project.js')).href)) as typeof import('../../generator/cli/project.js');
const { loadPrecompiled } = (await import(pathToFileURL(path.join(dist, 'core/precompiled.js')).href)) as typeof import('../../generator/core/precompiled.js');

describe('precompiled templates', () => {
  it('the build precompiled every built-in template from its current text', async () => {
    const builtIn = await builtInTemplates();
    const pre = loadPrecompiled<{ [name: string]: { source: string } }>('templates');
    expect(pre).toBeDefined();
    expect(Object.keys(pre ?? {}).sort()).toEqual([...builtIn.keys()].sort());
    for (const [name, text] of builtIn) expect(pre?.[name]?.source, name).toBe(text);
  });

  it('a built-in template whose text differs from the precompiled one is compiled from the text', async () => {
    const builtIn = new Map(await builtInTemplates());
    builtIn.set('types.ts.hbs', 'edited {{x}}\n');
    expect(built.createTemplateSet(builtIn).render('types.ts.hbs', { x: 1 })).toBe('edited 1\n');
  });

  it('an override wins over the precompiled template, and strict mode still applies', async () => {
    const builtIn = await builtInTemplates();
    const set = built.createTemplateSet(builtIn, new Map([['avro.ts.hbs', 'mine {{y}}\n']]));
    expect(set.overridden).toEqual(['avro.ts.hbs']);
    expect(set.render('avro.ts.hbs', { y: 'z' })).toBe('mine z\n');
    expect(() => set.render('avro.ts.hbs', {})).toThrow(/avro\.ts\.hbs: "y" not defined/);
  });

  it('precompiled templates keep strict mode: a missing view key fails', async () => {
    const set = built.createTemplateSet(await builtInTemplates());
    expect(() => set.render('types.ts.hbs', {})).toThrow(/types\.ts\.hbs: /);
  });
});
