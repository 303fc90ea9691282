// Through the real CLI: stale generated files removed and reported consistently (generate then
// --check passes), user-owned files in the custom folder outside the output folder (default and
// configured; the old layout refused with what to move), and new hooks' stubs added to existing
// user files. Bad input: a clear coded message, exit 2, nothing written.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-custom-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = `domain: com.acme.shop
source: urn:acme:shop
aggregates:
  Cart:
    state:
      total: { type: int, default: 0 }
    events:
      ItemAdded:
        versions:
          - fields: { sku: string, quantity: int }
        apply: custom
      ItemRemoved:
        versions:
          - fields: { sku: string }
        apply: { total: 0 }
`;

/** A release later: ItemRemoved's state change becomes custom too. */
const laterSpec = spec.replace('apply: { total: 0 }', 'apply: custom');

function put(rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), content);
}
const read = (rel: string): string => readFileSync(path.join(dir, rel), 'utf8');

function tree(rel: string): string[] {
  const root = path.join(dir, rel);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Every file under the project with its bytes and mtime: "nothing written" means this does not change. */
function snapshot(): Map<string, string> {
  return new Map(tree('.').map((f) => [f, `${statSync(path.join(dir, f)).mtimeMs} ${read(f)}`]));
}

const filledReducers = `// mine
import type { CartState, ItemAdded } from '../../generated/shop/types.js';

export function applyItemAdded(state: CartState, data: ItemAdded): CartState {
  return { ...state, total: state.total + data.quantity };
}
`;

describe('stale generated files (generate removes exactly what --check reports)', () => {
  it('a generated file the manifest does not know: --check reports it, generate removes and counts it, --check then passes', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    // Generated before, but not listed: a lost manifest, or output from an earlier eventsmith.
    put('src/generated/shop/old.ts', `${read('src/generated/shop/types.ts').split('\n').slice(0, 2).join('\n')}\nexport {};\n`);
    rmSync(path.join(dir, 'src/generated/.eventsmith-manifest.json'));
    put('src/generated/NOTES.md', 'mine: no header\n');
    const check = runCli(['generate', '--check'], dir);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('src/generated/shop/old.ts: extra (generated before, no longer generated: generate removes it)');
    expect(check.stderr).not.toContain('NOTES.md');
    expect(check.stderr).toContain('1 file out of date');
    const gen = runCli(['generate'], dir);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(/^src\/generated: 0 written, \d+ unchanged, 1 removed$/m);
    expect(existsSync(path.join(dir, 'src/generated/shop/old.ts'))).toBe(false);
    expect(read('src/generated/NOTES.md')).toBe('mine: no header\n');
    expect(runCli(['generate', '--check'], dir).code).toBe(0);
  });

  it('a renamed domain: every file of the old one removed and counted, empty folders gone, user files kept', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    const before = tree('src/generated/shop');
    put('events/shop.yaml', spec.replace('com.acme.shop', 'com.acme.store'));
    const check = runCli(['generate', '--check'], dir);
    expect(check.code).toBe(1);
    for (const f of before) expect(check.stderr).toContain(`src/generated/shop/${f}: extra`);
    const gen = runCli(['generate'], dir);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain(`, ${before.length} removed\n`);
    expect(existsSync(path.join(dir, 'src/generated/shop'))).toBe(false);
    // The old domain's user file is the user's: generate never deletes it.
    expect(existsSync(path.join(dir, 'src/eventsmith/shop/reducers.ts'))).toBe(true);
    expect(runCli(['generate', '--check'], dir).code).toBe(0);
  });
});

describe('the custom folder', () => {
  it('default: src/eventsmith/<domain>/ beside src/generated; survives rm -rf of the output folder', () => {
    put('events/shop.yaml', spec);
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('src/eventsmith: 1 created, 0 updated, 0 unchanged');
    expect(tree('src/eventsmith')).toEqual(['shop/reducers.ts']);
    expect(tree('src/generated').some((f) => f.includes('custom'))).toBe(false);
    expect(read('src/generated/shop/reducers.ts')).toContain("import { applyItemAdded } from '../../eventsmith/shop/reducers.js';");
    expect(read('src/eventsmith/shop/reducers.ts')).toContain("from '../../generated/shop/types.js';");
    put('src/eventsmith/shop/reducers.ts', filledReducers);
    rmSync(path.join(dir, 'src/generated'), { recursive: true });
    const again = runCli(['generate'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('src/eventsmith: 0 created, 0 updated, 1 unchanged');
    expect(read('src/eventsmith/shop/reducers.ts')).toBe(filledReducers);
    expect(runCli(['generate', '--check'], dir).code).toBe(0);
  });

  it('customDir in the config (and --custom-dir): the relative imports follow it both ways', () => {
    put('eventsmith.config.yaml', 'version: 1\nout: lib/gen\ncustomDir: app/hooks\n');
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    expect(tree('app/hooks')).toEqual(['shop/reducers.ts']);
    expect(read('lib/gen/shop/reducers.ts')).toContain("from '../../../app/hooks/shop/reducers.js';");
    expect(read('app/hooks/shop/reducers.ts')).toContain("from '../../../lib/gen/shop/types.js';");
    expect(read('lib/gen/shop/docs/catalog.md')).toContain('[`shop/reducers.ts`](../../../../app/hooks/shop/reducers.ts)');
    expect(runCli(['generate', '--out', 'o', '--custom-dir', 'c', 'events/shop.yaml'], dir).code).toBe(0);
    expect(read('o/shop/reducers.ts')).toContain("from '../../c/shop/reducers.js';");
  });

  it('a customDir inside the output folder: ES5002, exit 2, nothing written', () => {
    put('eventsmith.config.yaml', 'version: 1\nout: src/generated\ncustomDir: src/generated/mine\n');
    put('events/shop.yaml', spec);
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error ES5002: customDir in eventsmith.config.yaml is 'src/generated/mine', inside the output folder 'src/generated'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'src'))).toBe(false);
    expect(runCli(['generate', '--custom-dir', 'src/generated'], dir).code).toBe(2);
    expect(existsSync(path.join(dir, 'src'))).toBe(false);
  });

  it('a custom folder that cannot be created (a file in its place): ES4003, exit 2, the output folder not written either', () => {
    put('events/shop.yaml', spec);
    put('src/eventsmith', 'a file, not a folder\n');
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^src\/eventsmith - error ES4003: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'src/generated'))).toBe(false);
  });

  it('the old layout (user code in <out>/<slug>/custom/): ES5011 says what to move where, exit 2, nothing written, also under --check', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    rmSync(path.join(dir, 'src/eventsmith'), { recursive: true });
    put('src/generated/shop/custom/reducers.ts', filledReducers.replace('../../generated/shop/types.js', '../types.js'));
    put('src/generated/shop/custom/helpers.ts', "import { x } from '../../../lib/x.js';\nexport const y = x;\n");
    const before = snapshot();
    for (const args of [['generate'], ['generate', '--check']]) {
      const r = runCli(args, dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        "src/generated/shop/custom/helpers.ts:1:1 - error ES5011: your code is inside the output folder, which generate owns; user-owned files now live in the custom folder (customDir). Move it to src/eventsmith/shop/helpers.ts and change its imports '../../../lib/x.js' → '../../lib/x.js'. Nothing was written",
        "src/generated/shop/custom/reducers.ts:1:1 - error ES5011: your code is inside the output folder, which generate owns; user-owned files now live in the custom folder (customDir). Move it to src/eventsmith/shop/reducers.ts and change its imports '../types.js' → '../../generated/shop/types.js'. Nothing was written",
      ]);
      expect(snapshot()).toEqual(before);
    }
    // Moved as told: generate runs, keeps the code, and the old folder is gone from the output.
    put('src/eventsmith/shop/reducers.ts', filledReducers);
    rmSync(path.join(dir, 'src/generated/shop/custom'), { recursive: true });
    expect(runCli(['generate'], dir).code).toBe(0);
    expect(read('src/eventsmith/shop/reducers.ts')).toBe(filledReducers);
  });
});

describe('a hook the spec gains later', () => {
  it('--check reports the user file as stale with the stub it lacks; generate adds it, keeps the rest, and --check passes', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    put('src/eventsmith/shop/reducers.ts', filledReducers);
    put('events/shop.yaml', laterSpec);
    const check = runCli(['generate', '--check'], dir);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('src/eventsmith/shop/reducers.ts: stale (generate would add a stub for applyItemRemoved)');
    expect(check.stderr).toContain('+export function applyItemRemoved(state: CartState, data: ItemRemoved): CartState {');
    expect(read('src/eventsmith/shop/reducers.ts')).toBe(filledReducers);
    const gen = runCli(['generate'], dir);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain('src/eventsmith: 0 created, 1 updated, 0 unchanged');
    expect(gen.stdout).toContain('src/eventsmith/shop/reducers.ts: added applyItemRemoved: a stub that does not compile until you implement it');
    // The user's bytes, the type added to their import, the stub at the end: nothing else.
    expect(read('src/eventsmith/shop/reducers.ts')).toBe(
      filledReducers.replace('CartState, ItemAdded }', 'CartState, ItemAdded, ItemRemoved }') +
        [
          '',
          '// TODO: implement; until this returns the new state, the project does not compile.',
          '/**',
          ' * Cart state after `com.acme.shop.cart.itemremoved` (`apply: custom` in the spec). Must not mutate',
          ' * `state`.',
          ' */',
          'export function applyItemRemoved(state: CartState, data: ItemRemoved): CartState {',
          '}',
          '',
        ].join('\n'),
    );
    expect(runCli(['generate', '--check'], dir).code).toBe(0);
    const json = JSON.parse(runCli(['generate', '--format', 'json'], dir).stdout) as { userFiles: unknown };
    expect(json.userFiles).toEqual({ created: [], updated: [], unchanged: ['shop/reducers.ts'] });
  });

  it('a user function whose signature drifted: a warning at its line:col, the file untouched, generate still succeeds', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    const drifted = filledReducers.replace('data: ItemAdded)', 'data: { quantity: number })');
    put('src/eventsmith/shop/reducers.ts', drifted);
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^src\/eventsmith\/shop\/reducers\.ts:4:56 - warning ES4012: applyItemAdded no longer matches the spec: parameter data is \{ quantity: number \}, the spec passes ItemAdded;/m,
    );
    expect(read('src/eventsmith/shop/reducers.ts')).toBe(drifted);
  });

  it('a user file that needs a stub and does not parse: ES4011 at the syntax error, exit 2, nothing written', () => {
    put('events/shop.yaml', spec);
    expect(runCli(['generate'], dir).code).toBe(0);
    const broken = filledReducers.replace('return { ...state,', 'return { ...state,,');
    put('src/eventsmith/shop/reducers.ts', broken);
    put('events/shop.yaml', laterSpec);
    const before = snapshot();
    const r = runCli(['generate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^src\/eventsmith\/shop\/reducers\.ts:5:\d+ - error ES4011: .*generate must add applyItemRemoved to this file/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot()).toEqual(before);
  });
});
