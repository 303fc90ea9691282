// CLI tests run the built bin as a user would; build once so they never test a stale dist/.
// One schema registry serves the whole run (SCHEMA_REGISTRY_URL instead, if set), handed to tests
// as inject('registryUrl'): its state is shared, so tests use subjects of their own.
import path from 'node:path';
import type { GlobalSetupContext } from 'vitest/node';
import { buildPackage } from './support/build.js';
import { startRegistry } from './support/registry.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Confluent-compatible API of the run's schema registry. */
    registryUrl: string;
  }
}

export default async function setup({ provide }: GlobalSetupContext): Promise<() => Promise<void>> {
  const root = path.join(import.meta.dirname, '..');
  // For a run of tests that do not use dist/ while the tree does not build (work in progress).
  const build = process.env.EVENTSMITH_SKIP_BUILD === '1' ? Promise.resolve() : buildPackage(root);
  const [registry] = await Promise.all([startRegistry(), build]);
  provide('registryUrl', registry.url);
  return () => registry.stop();
}
