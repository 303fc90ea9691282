// README.md is executed, not just read: its spec blocks validate and generate, and every event's
// versions satisfy the compatibility mode the block declares (through the built CLI, as a user
// would run them); the tutorial it shows is docs/tutorial/, byte for byte; and its two commands
// at the top are the ones CI runs.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { readmeBlocks, repoRoot, tutorialDir } from './blocks.js';

const blocks = readmeBlocks();
const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** YAML blocks that are not whole specs, by their first line: each is something else on purpose. */
const NOT_SPECS = [
  '    commands:                         # under aggregates.Inventory (one product)',
  '# yaml-language-server: $schema=../node_modules/eventsmith/schemas/eventsmith.schema.json',
  'aggregates:',
  '# eventsmith.config.yaml — paths relative to this file; unknown keys are errors',
  'registry:',
  'allowBreaking:',
  '# .github/workflows/events.yml',
  '      - run: npx eventsmith check --against origin/${{ github.base_ref }} --format sarif > eventsmith.sarif',
];

function isSpec(body: string): boolean {
  try {
    const doc: unknown = parse(body);
    return typeof doc === 'object' && doc !== null && 'domain' in doc;
  } catch {
    return false;
  }
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

describe('README.md', () => {
  const yamlBlocks = blocks.filter((b) => b.lang === 'yaml');
  const specs = yamlBlocks.filter((b) => isSpec(b.body));

  it('has spec blocks, and every other YAML block is a known fragment', () => {
    expect(specs.length).toBeGreaterThan(0);
    expect(yamlBlocks.filter((b) => !isSpec(b.body)).map((b) => b.body.split('\n')[0])).toEqual(NOT_SPECS);
  });

  it.each(specs.map((b) => [b.line, b] as const))('the spec block at line %i validates and generates, and its versions satisfy its compatibility mode', (line, block) => {
    const dir = path.join(work, `spec-${line}`);
    mkdirSync(path.join(dir, 'events'), { recursive: true });
    const file = path.join(dir, 'events', 'readme.yaml');
    writeFileSync(file, block.body);
    const validated = runCli(['validate', file], dir);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    const generated = runCli(['generate', '--out', 'out', file], dir);
    expect(generated.code, generated.stderr).toBe(0);

    // Every event version against the earlier ones, under the block's own mode.
    const mode = (parse(block.body) as { compatibility?: string }).compatibility ?? 'BACKWARD';
    const schemas = new Map<string, Map<number, string>>();
    for (const f of filesUnder(path.join(dir, 'out')).filter((f) => f.endsWith('.avsc'))) {
      const m = /([^/]+)\.v(\d+)\.avsc$/.exec(f);
      if (!m) continue;
      const versions = schemas.get(m[1] as string) ?? new Map<number, string>();
      versions.set(Number(m[2]), path.join(dir, 'out', f));
      schemas.set(m[1] as string, versions);
    }
    let checked = 0;
    for (const [type, versions] of schemas) {
      const ordered = [...versions.keys()].sort((a, b) => a - b).map((v) => versions.get(v) as string);
      for (let n = 1; n < ordered.length; n++) {
        const r = runCli(['compat', '--mode', mode, '--new', ordered[n] as string, ...ordered.slice(0, n)], dir);
        expect(r.code, `${type} v${n + 1} under ${mode}:\n${r.stdout}${r.stderr}`).toBe(0);
        checked++;
      }
    }
    if (mode !== 'NONE') expect(checked).toBeGreaterThan(0);
  });

  it('docs/*.md: every whole spec block validates, compatibility gate included (fragments and diffs are shown edits)', () => {
    const docsDir = path.join(repoRoot, 'docs');
    const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md'));
    let checked = 0;
    for (const page of pages) {
      for (const block of readmeBlocks(readFileSync(path.join(docsDir, page), 'utf8')).filter((b) => b.lang === 'yaml' && isSpec(b.body))) {
        const dir = path.join(work, `docs-${page}-${block.line}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'spec.yaml'), block.body);
        const r = runCli(['validate', 'spec.yaml'], dir);
        expect(r.stderr, `docs/${page}:${block.line}`).toBe('');
        expect(r.code).toBe(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('shows docs/tutorial/ verbatim: each file in exactly one block, each tutorial block a file', () => {
    const marked = blocks.filter((b) => b.tutorialFile !== undefined);
    const files = filesUnder(tutorialDir).sort();
    expect(marked.map((b) => b.tutorialFile).sort()).toEqual(files);
    for (const b of marked) expect(b.body, `README.md:${b.line} vs docs/tutorial/${b.tutorialFile}`).toBe(readFileSync(path.join(tutorialDir, b.tutorialFile as string), 'utf8'));
  });

  it('keeps its two commands at the top, and CI runs the second', () => {
    const first = blocks[0];
    expect(first?.lang).toBe('sh');
    const commands = (first?.body ?? '').split('\n').filter(Boolean).map((l) => l.replace(/\s+#.*$/, '').trim());
    expect(commands).toEqual(['npm install && npm run example', 'npm install && npm test']);
    const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.example).toBe('npm run example:generate && node generated-example/scripts/run-example.mjs');
    // The replicated-cluster tests run last, in their own vitest config.
    expect(scripts.test).toMatch(/&& node test\/run-suites\.mjs$/);
    expect(scripts['test:cluster']).toBe('vitest run --config vitest.cluster.config.ts');
    const ci = readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ci.slice(-2)).toEqual(['npm install --no-audit --no-fund', 'npm test']);
  });
});
