// load/fast-yaml.ts against the `yaml` library: whatever the fast reader accepts must load to the
// same data (null-prototype objects, numbers and bigints alike) with the same position for every
// key and value, and must be a spec the library loads without a diagnostic. What it declines goes
// to the library, so declining is always safe; the tests below also pin what it must accept, so
// that a reader declining everything would fail here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import { parseFast } from '../../generator/load/fast-yaml.js';
import { loadLimits, loadSpec, type LoadedSpec, type PathSegment } from '../../generator/load/index.js';
import { mutatedSpecText, specText } from '../hardening/spec-arbitrary.js';

const root = path.join(__dirname, '..', '..');
// bench/ is plain JavaScript without types.
const syntheticModule: string = '../../bench/synthetic.mjs';
const { syntheticSpec } = (await import(syntheticModule)) as { syntheticSpec: (versions: number, options?: { flows?: boolean }) => string };

/** Every path to a node of `data`, parents first. */
function paths(data: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  if (Array.isArray(data)) data.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (data !== null && typeof data === 'object') for (const [k, v] of Object.entries(data)) paths(v, [...prefix, k], out);
  return out;
}

/** Deep equality that also tells a number from a bigint, NaN from a string, and checks prototypes. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (a === null || typeof a !== 'object') return a === b;
  if (b === null || typeof b !== 'object') return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function load(text: string, fast: boolean): { spec?: LoadedSpec; errors: number } {
  const diags = new Diagnostics();
  const spec = loadSpec('spec.yaml', text, diags, { fast });
  return { ...(spec ? { spec } : {}), errors: diags.sorted().length };
}

/** True when the fast reader took `text`; throws (a failed expectation) when it differs from the library. */
function agrees(text: string): boolean {
  if (parseFast(text.replace(/^\ufeff/, ''), loadLimits.maxDepth) === undefined) return false;
  const fast = load(text, true);
  const lib = load(text, false);
  expect(lib.errors, 'the library reports problems in a text the fast reader accepted').toBe(0);
  expect(fast.errors).toBe(0);
  if (!fast.spec || !lib.spec) throw new Error('a spec without diagnostics must load');
  expect(same(fast.spec.data, lib.spec.data), `data differs:\n${text}`).toBe(true);
  for (const p of paths(lib.spec.data)) {
    for (const probe of [p, [...p, 'absent'], [...p, 99]]) {
      for (const which of ['key', 'value'] as const) {
        expect(fast.spec.locate(probe, which), `${which} of ${JSON.stringify(probe)} in:\n${text}`).toEqual(lib.spec.locate(probe, which));
      }
    }
  }
  return true;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'tmp' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yamlFiles(full, out);
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

describe('fast YAML reader', () => {
  it('agrees with the library on every YAML file in the repository, and reads most of them', () => {
    const files = [...yamlFiles(path.join(root, 'test')), ...yamlFiles(path.join(root, 'generated-example')), ...yamlFiles(path.join(root, 'docs'))];
    expect(files.length).toBeGreaterThan(40);
    let read = 0;
    for (const f of files) if (agrees(readFileSync(f, 'utf8'))) read++;
    expect(read / files.length).toBeGreaterThan(0.5);
  });

  it('reads the benchmark specs (with commands and sagas) and the example', () => {
    expect(agrees(syntheticSpec(40))).toBe(true);
    expect(agrees(syntheticSpec(120, { flows: true }))).toBe(true);
    expect(agrees(readFileSync(path.join(root, 'generated-example/events/orders.yaml'), 'utf8'))).toBe(true);
    expect(agrees(readFileSync(path.join(root, 'generated-example/eventsmith.config.yaml'), 'utf8'))).toBe(true);
  });

  it('reads scalars as the core schema does', () => {
    const scalars = [
      'x', '~', 'null', 'Null', 'NULL', 'true', 'True', 'FALSE', 'yes', 'no', 'on', '0', '-0', '+12', '007', '9007199254740993', '-9007199254740993',
      '0o17', '0x1F', '0x', '1.5', '-.5', '1.', '1e3', '1.5E-2', '.inf', '-.Inf', '.nan', '1_000', '12:30', 'a:b', 'urn:x:y', '$.a.b', '$start.items[0].id',
      'OrderItem[]', 'decimal(12,2)', 'a, b', 'a]', 'x #y', 'x#y', '-1', '-x', 'é', '"q\\"x"', "'it''s'", '"\\u00e9\\x41\\t\\\\"', '""', "''", '"a # b"',
    ];
    let read = 0;
    for (const s of scalars) if (agrees(`k: ${s}\nl:\n  - ${s}\n`)) read++;
    expect(read).toBeGreaterThan(scalars.length - 3);
    for (const s of ['x', '1', '-1', '1.5', 'true', '~', '"q"', "'q'", 'a b']) {
      expect(agrees(`m: { k: ${s} }\nl: [${s}, ${s}]\n`), s).toBe(true);
    }
  });

  it('reads nesting, lists at their key\'s column, comments and block scalars', () => {
    const texts = [
      '# comment\ndomain: a\n\naggregates:\n  A:   # trailing\n    events:\n    - x\n    - y\n    other: 1\n',
      'a:\n  - b: 1\n    c: [1, [2, { d: e }], {}]\n  -   f: 2\n  -\n    g: 3\n  - - nested\n',
      'doc: |\n  line one\n  line two\n\n  after blank\nnext: >-\n  folded\n  text\n\n  para\nkeep: >\n  x\n\n\nz: 1\n',
      'l:\n  - |-\n    a\n    b\n  - >\n    c\n',
      'k:    spaced   \nm: {a: b,c: d}\nn: [ ]\no: { }\n',
      'root:\n    deep:\n        deeper: 1\n    back: 2\n',
    ];
    let read = 0;
    for (const t of texts) if (agrees(t)) read++;
    expect(read).toBeGreaterThanOrEqual(texts.length - 1);
  });

  it('declines what it does not read, and the library then reports it', () => {
    const declined = [
      'a: 1\na: 2\n', // duplicate key
      'a:\n\tb: 1\n', // tab
      'a: &x 1\nb: *x\n', // anchor and alias
      'a: !!str 1\n', // tag
      'a: multi\n  line\n', // multi-line plain scalar
      'a: "open\n  close"\n', // multi-line quoted
      '---\na: 1\n', // document marker
      'a:\n', // empty value
      'a: [1,\n  2]\n', // multi-line flow
      '? a\n: b\n', // explicit key
      'a: b: c\n', // mapping in a plain scalar
      '- a\n- b\n', // not a mapping
      '"q": 1\n', // quoted key
      '1: a\n', // key that is not a string
      'a: |+\n  x\n', // keep chomping
      'a: [b, ]\n', // trailing comma
    ];
    for (const t of declined) expect(parseFast(t, loadLimits.maxDepth), t).toBeUndefined();
  });

  it('agrees with the library on generated specs, valid and damaged', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.oneof(specText(), mutatedSpecText()), (text) => {
        if (agrees(text)) read++;
      }),
      { seed: 17, numRuns: 300 },
    );
    expect(read).toBeGreaterThan(30);
  });
});
