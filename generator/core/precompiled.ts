// Loads what scripts/precompile.mjs compiled at build time (dist/generator/precompiled/*.cjs).
// Running from the TypeScript sources (tests) there is none, and callers compile at run time.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The precompiled module `name`, or undefined when the build did not write it. */
export function loadPrecompiled<T>(name: string): T | undefined {
  try {
    return require(`../precompiled/${name}.cjs`) as T;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`${name}.cjs`)) return undefined;
    throw err;
  }
}

/** A CommonJS dependency loaded only when a run needs it (ajv's or Handlebars' compiler). */
export function requireLazily<T>(specifier: string): T {
  return require(specifier) as T;
}
