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
import vm from 'node:vm';

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
