import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = readFileSync(path.join(repoRoot, 'test/cases/minimal/input.yaml'), 'utf8');

function project(files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
}

function tree(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('generate', () => {
  it('reads events/**/*.yaml by default, writes src/generated, and a second run changes nothing', () => {
    project({ 'events/shop/cart.yaml': spec });
    const first = runCli(['generate'], dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(tree(path.join(dir, 'src/generated'))).toContain('shop/types.ts');
    const second = runCli(['generate'], dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 written, \d+ unchanged, 0 removed/);
  });

  it('says "rebuild required" when a projection\'s rules change, at the projection, and not otherwise', () => {
    const projection = `${spec.trimEnd()}\nprojections:\n  CartView:\n    key: id\n    columns: { id: string, label: string }\n    on:\n      ${'${EVENT}'}:\n        upsert: { id: $subject, label: one }\n`;
    const event = /^ {2}([A-Z]\w*):\n(?:.*\n)*? {4}events:\n {6}([A-Z]\w*):/m.exec(spec);
    const withRule = projection.replace('${EVENT}', `${event?.[1] ?? ''}.${event?.[2] ?? ''}`);
    project({ 'events/shop/cart.yaml': withRule });
    expect(runCli(['generate'], dir).stderr).toBe('');
    expect(runCli(['generate'], dir).stderr).toBe('');
    project({ 'events/shop/cart.yaml': withRule.replace('label: one', 'label: two') });
    const changed = runCli(['generate'], dir);
    expect(changed.code).toBe(0);
    expect(changed.stderr).toMatch(/^events\/shop\/cart\.yaml:\d+:3: warning: projection CartView changed \(rules [0-9a-f]{16} → [0-9a-f]{16}\): rebuild table cart_view with rebuildProjection before its runner applies again \(PROJECTION_REBUILD_REQUIRED\)\n$/);
  });

  it('--check passes when up to date and reports stale, missing and extra files with diffs, exit 1', () => {
    project({ 'events/cart.yaml': spec });
    expect(runCli(['generate'], dir).code).toBe(0);
    expect(runCli(['generate', '--check'], dir).code).toBe(0);
    const out = path.join(dir, 'src/generated/shop');
    writeFileSync(path.join(out, 'types.ts'), readFileSync(path.join(out, 'types.ts'), 'utf8').replace('interface', 'interface /* edited */'));
    rmSync(path.join(out, 'envelopes.ts'));
    writeFileSync(path.join(out, 'stray.ts'), 'export {};\n');
    const r = runCli(['generate', '--check'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('shop/types.ts: stale');
    expect(r.stderr).toContain('-export interface /* edited */');
    expect(r.stderr).toContain('shop/envelopes.ts: missing');
    expect(r.stderr).toContain('shop/stray.ts: extra');
    expect(r.stderr).toContain('3 files out of date');
  });

  it('uses eventsmith.config.yaml when present', () => {
    project({ 'eventsmith.config.yaml': 'version: 1\nspecs: [spec/*.yaml]\nout: gen\n', 'spec/cart.yaml': spec });
    expect(runCli(['generate'], dir).code).toBe(0);
    expect(tree(path.join(dir, 'gen'))).toContain('shop/types.ts');
  });

  it('rejects unknown config keys with file:line:col, exit 2', () => {
    project({ 'eventsmith.config.yaml': 'version: 1\noutput: gen\n', 'events/cart.yaml': spec });
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("eventsmith.config.yaml:2:1 - error ES5002: unknown key 'output'");
  });

  it('invalid input: every diagnostic, exit 2, no stack trace, nothing written', () => {
    project({ 'events/cart.yaml': readFileSync(path.join(repoRoot, 'test/cases/bad-many-errors/input.yaml'), 'utf8') });
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.match(/ - error ES\d{4}: /g)?.length).toBeGreaterThanOrEqual(3);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'src'))).toBe(false);
  });

  it('one bad file among good ones writes nothing at all', () => {
    project({ 'events/a.yaml': spec, 'events/b.yaml': 'domain: [\n' });
    expect(runCli(['generate'], dir).code).toBe(2);
    expect(existsSync(path.join(dir, 'src'))).toBe(false);
  });

  it('--format json prints machine-readable diagnostics on stdout', () => {
    project({ 'events/cart.yaml': spec.replace('sku: string', 'sku: Sku') });
    const r = runCli(['generate', '--format', 'json'], dir);
    expect(r.code).toBe(2);
    const parsed = JSON.parse(r.stdout) as { diagnostics: { code: string; file: string; line: number; col: number }[] };
    expect(parsed.diagnostics[0]).toMatchObject({ code: 'ES3001', file: 'events/cart.yaml', line: 11 });
  });

  it('does not follow a symlink out of the output folder', () => {
    project({ 'events/cart.yaml': spec });
    const outside = mkdtempSync(path.join(tmpdir(), 'eventsmith-outside-'));
    mkdirSync(path.join(dir, 'src/generated'), { recursive: true });
    symlinkSync(outside, path.join(dir, 'src/generated/shop'));
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ES4001');
    expect(readdirSync(outside)).toEqual([]);
    rmSync(outside, { recursive: true, force: true });
  });

  it('removes files it generated before and no longer generates, never the user’s', () => {
    project({ 'events/cart.yaml': spec });
    expect(runCli(['generate'], dir).code).toBe(0);
    writeFileSync(path.join(dir, 'src/generated/notes.txt'), 'mine');
    project({ 'events/cart.yaml': spec.replace('com.acme.shop', 'com.acme.store') });
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(0);
    const files = tree(path.join(dir, 'src/generated'));
    expect(files.some((f) => f.startsWith('shop/'))).toBe(false);
    expect(files).toContain('store/types.ts');
    expect(files).toContain('notes.txt');
  });
});

describe('usage', () => {
  it('no specs found: exit 2 with a hint', () => {
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ES5001');
    expect(r.stderr).toContain('eventsmith init');
  });

  it('unknown option: exit 2', () => {
    expect(runCli(['generate', '--nope'], dir).code).toBe(2);
    expect(runCli(['frobnicate'], dir).code).toBe(2);
  });

  it('validate reports all problems and exits 2; a good spec exits 0', () => {
    project({ 'events/cart.yaml': spec });
    expect(runCli(['validate'], dir).code).toBe(0);
    project({ 'events/cart.yaml': readFileSync(path.join(repoRoot, 'test/cases/bad-many-errors/input.yaml'), 'utf8') });
    const r = runCli(['validate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/events\/cart\.yaml:\d+:\d+ - error ES/);
  });

  it('init writes a starter that generates, and refuses to overwrite', () => {
    const r = runCli(['init'], dir);
    expect(r.code).toBe(0);
    expect(runCli(['generate'], dir).code).toBe(0);
    expect(tree(path.join(dir, 'src/generated'))).toContain('shop/types.ts');
    expect(runCli(['init'], dir).code).toBe(2);
  });
});

describe('the example', () => {
  it('committed generated-example output is up to date', () => {
    const r = runCli(['generate', '--check', '--config', 'generated-example/eventsmith.config.yaml'], repoRoot);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('generates into a copy byte-for-byte like the committed output', () => {
    cpSync(path.join(repoRoot, 'generated-example/events'), path.join(dir, 'events'), { recursive: true });
    expect(runCli(['generate'], dir).code).toBe(0);
    for (const f of tree(path.join(dir, 'src/generated'))) {
      // User-owned: a fresh generate writes stubs; the example's are filled in by hand.
      if (f.includes('/custom/')) continue;
      expect(readFileSync(path.join(dir, 'src/generated', f), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'generated-example/src/generated', f), 'utf8'));
    }
  });
});
