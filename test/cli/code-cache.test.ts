// The bundled CLI runs through a V8 code cache (cli/code-cache.ts). V8 itself checks only the
// source's length, so the cache must be refused for any other text, even one of the same length,
// and the script must then run what the file says now.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyCliV8Flags, cliV8Flags, codeCacheOf, loadCommonJs } from '../../generator/cli/code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const workDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-code-cache-'));
  dirs.push(d);
  return d;
};

type Answer = { answer: () => string };
const noImport = (): Promise<unknown> => Promise.reject(new Error('no import expected'));
const scriptSaying = (word: string): string => `module.exports.answer = function answer() { return ${JSON.stringify(word)}; };\n`;

/** Writes `source` to a fresh script and a cache made after running it once, as the build does. */
function cachedScript(source: string): { file: string; cacheFile: string } {
  const dir = workDir();
  const file = path.join(dir, 'script.cjs');
  const cacheFile = `${file}.v8-cache`;
  writeFileSync(file, source);
  const first = loadCommonJs<Answer>(file, cacheFile, noImport);
  expect(first.cache).toBe('absent');
  first.exports.answer();
  writeFileSync(cacheFile, codeCacheOf(first));
  return { file, cacheFile };
}

describe('code cache of a CommonJS script', () => {
  it('is used for the source it was made from', () => {
    const { file, cacheFile } = cachedScript(scriptSaying('one'));
    const again = loadCommonJs<Answer>(file, cacheFile, noImport);
    expect(again.cache).toBe('used');
    expect(again.exports.answer()).toBe('one');
  });

  it('is not used once the source changes, even to a text of the same length, and the new text runs', () => {
    const { file, cacheFile } = cachedScript(scriptSaying('one'));
    const edited = scriptSaying('two');
    expect(edited.length).toBe(scriptSaying('one').length);
    writeFileSync(file, edited);
    const loaded = loadCommonJs<Answer>(file, cacheFile, noImport);
    expect(loaded.cache).toBe('stale');
    expect(loaded.exports.answer()).toBe('two');
  });

  it('compiles from the source when V8 refuses the data (another Node version or flags)', () => {
    const { file, cacheFile } = cachedScript(scriptSaying('one'));
    const data = readFileSync(cacheFile);
    const header = data.indexOf(0x0a) + 1;
    writeFileSync(cacheFile, Buffer.concat([data.subarray(0, header), Buffer.alloc(data.length - header, 7)]));
    // A fresh process: this one keeps the compiled script in V8's own cache and would not read the data.
    const loader = pathToFileURL(path.join(import.meta.dirname, '../../dist/generator/cli/code-cache.js')).href;
    const probe = `const { loadCommonJs } = await import(${JSON.stringify(loader)}); const r = loadCommonJs(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)}, () => {}); console.log(r.cache, r.exports.answer());`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('rejected one\n');
  });

  it('passes the file URL and the launcher import() to the script; a non-ASCII source reads as UTF-8', async () => {
    const dir = workDir();
    const file = path.join(dir, 'script.cjs');
    writeFileSync(file, 'module.exports.url = __eventsmithUrl;\nmodule.exports.arrow = "→";\nmodule.exports.load = () => __eventsmithImport("node:path");\n');
    const imported: string[] = [];
    const loaded = loadCommonJs<{ url: string; arrow: string; load: () => Promise<unknown> }>(file, undefined, (s) => {
      imported.push(s);
      return import(s);
    });
    expect(loaded.exports.url).toBe(`file://${file}`);
    expect(loaded.exports.arrow).toBe('→');
    expect(await loaded.exports.load()).toHaveProperty('join');
    expect(imported).toEqual(['node:path']);
  });
});

describe('the built CLI', () => {
  const cliDir = path.join(import.meta.dirname, '../../dist/generator/cli');
  /** How a fresh process, with or without the launcher's V8 flags, loads the shipped bundle. */
  const load = (withFlags: boolean): string => {
    const loader = pathToFileURL(path.join(cliDir, 'code-cache.js')).href;
    const cli = path.join(cliDir, 'cli.cjs');
    const probe = [
      `const { applyCliV8Flags, loadCommonJs } = await import(${JSON.stringify(loader)});`,
      withFlags ? 'applyCliV8Flags();' : '',
      `const r = loadCommonJs(${JSON.stringify(cli)}, ${JSON.stringify(`${cli}.v8-cache`)}, () => {});`,
      'console.log(r.cache, typeof r.exports.main);',
    ].join(' ');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return run.stdout;
  };

  it('ships a code cache made from the bundle it ships, under the V8 flags the launcher sets (the build writes both)', () => {
    expect(load(true)).toBe('used function\n');
    // Made under the flags: V8 refuses it in a process without them.
    expect(load(false)).toBe('rejected function\n');
  });

  it('the launcher sets the flags before it compiles the bundle', () => {
    const bin = readFileSync(path.join(cliDir, 'bin.js'), 'utf8');
    const applied = bin.indexOf('applyCliV8Flags();');
    expect(applied).toBeGreaterThan(-1);
    // The last call is the launcher's; the first is the bundled function's definition.
    expect(applied).toBeLessThan(bin.lastIndexOf('loadCommonJs('));
  });

  it('keeps a flag the process was started with', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    try {
      applyCliV8Flags(['--interrupt_budget=1000']);
      applyCliV8Flags(['--interrupt-budget', '1000']);
      expect(set).not.toHaveBeenCalled();
      applyCliV8Flags(['--stack-size=2000']);
      expect(set.mock.calls).toEqual(cliV8Flags.map((f) => [f]));
    } finally {
      set.mockRestore();
    }
  });
});
