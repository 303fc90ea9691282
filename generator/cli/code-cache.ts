// The bundled CLI (dist/generator/cli/cli.cjs, ~1.7 MB with the precompiled validators and
// templates) compiled through a V8 code cache the build writes beside it. A cold process otherwise
// parses the bundle and compiles each function it calls, a large part of a small run. Node 20 has
// no compile cache for modules (module.enableCompileCache is Node 22), so the bundle is a
// CommonJS-style script run with vm.Script, which takes V8's cached data.
//
// V8 checks its version and flags against the cache, but of the source only its length: a
// rebuilt bundle of the same length would run the old code. The cache file therefore starts with
// the SHA-256 of the source it was made from, and a cache for any other text is not used.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * V8 flags of the CLI's process, set by the launcher before it compiles the bundle and by the
 * build before it does (V8 refuses a code cache made under other flags). A run of `generate` is
 * short: by default V8 sends ~175 functions of a 1,000-version run to its optimising compiler
 * (TurboFan, on a background thread), ~0.4 s of CPU for a run of ~0.8 s whose result mostly comes
 * too late to pay, and on a busy machine that thread takes the CPU the run itself waits for. Eight
 * times V8's budget of bytecode run before a function is considered (67,584 bytes in Node 20's
 * V8) leaves ~30, the hottest: 0.6x the CPU and 0.8x the wall time at 1,000 versions; at 5,000
 * 0.83-0.77x the CPU and 0.91-0.97x the wall time (`--no-opt` took 1.5x), at 10 unchanged
 * (BENCHMARKS.md, generate).
 */
export const cliV8Flags: readonly string[] = ['--interrupt-budget=540672'];

/** Sets `cliV8Flags`, except a flag the process was started with (`node --interrupt-budget=… bin.js`): that one is the user's. */
export function applyCliV8Flags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of cliV8Flags) {
    const name = flag.slice(0, flag.indexOf('='));
    // V8 reads `_` and `-` in a flag's name alike.
    const given = execArgv.some((a) => {
      const spelled = a.replace(/_/g, '-');
      return spelled === name || spelled.startsWith(`${name}=`);
    });
    if (!given) v8.setFlagsFromString(flag);
  }
}

/** How the cache file served the load: used; absent; made from another source; refused by V8 (another Node version or V8 flags). */
export type CacheUse = 'used' | 'absent' | 'stale' | 'rejected';

export interface LoadedScript<T> {
  readonly exports: T;
  readonly cache: CacheUse;
  /** The compiled script: `codeCacheOf` serialises it after a run, with every function compiled by then. */
  readonly script: vm.Script;
  readonly sourceHash: string;
}

const magic = 'eventsmith-v8-cache-1 ';
const headerLength = magic.length + 64 + 1;

/**
 * Runs `file` as a CommonJS module (exports, require, module, __filename, __dirname), with two more
 * bindings the bundle uses: `__eventsmithUrl`, the file's URL (import.meta.url in the sources), and
 * `__eventsmithImport`, the import() of a real module (`importModule`).
 */
export function loadCommonJs<T>(file: string, cacheFile: string | undefined, importModule: (specifier: string) => Promise<unknown>): LoadedScript<T> {
  const bytes = readFileSync(file);
  // A one-byte string when the bundle is ASCII (the build sees to it): decoding 1.7 MB as UTF-8
  // costs ~10 ms, and V8 scans a one-byte source faster.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const sourceHash = createHash('sha256').update(bytes).digest('hex');
  let cache: CacheUse = 'absent';
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    const data = readIfPresent(cacheFile);
    if (data !== undefined) {
      const header = data.subarray(0, headerLength).toString('latin1');
      if (header === `${magic}${sourceHash}\n`) cachedData = data.subarray(headerLength);
      else cache = 'stale';
    }
  }
  // The wrapper shares the source's first line, so stack traces keep the bundle's line numbers.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __eventsmithUrl, __eventsmithImport) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  if (cachedData !== undefined) cache = script.cachedDataRejected === true ? 'rejected' : 'used';
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href, importModule);
  return { exports: module.exports, cache, script, sourceHash };
}

/** The cache file's bytes for a loaded script: its source's hash, then V8's data for what has been compiled so far. */
export function codeCacheOf(loaded: LoadedScript<unknown>): Buffer {
  return Buffer.concat([Buffer.from(`${magic}${loaded.sourceHash}\n`, 'latin1'), loaded.script.createCachedData()]);
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    // Not there (a build without the cache step) or unreadable: compile as if there were none.
    if (typeof e === 'object' && e !== null && 'code' in e) return undefined;
    throw e;
  }
}
