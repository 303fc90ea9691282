// Bundles the CLI (dist/generator/cli/bin.js and every module it imports, not its dependencies)
// into that one file. Node's ES module loader spends ~0.5 ms on each of the ~125 modules a
// `generate` run loads (resolve, read, compile, link): ~55 ms of a run's fixed cost, against
// ~15 ms to compile one file. The bundle stays beside tsc's output, so import.meta.url still
// finds ../precompiled/ and the package root; commands stay lazy (esbuild defers a module
// reached only through a dynamic import until that import runs). Library entry points
// (eventsmith, eventsmith/runtime, eventsmith/testing) are tsc's modules as they were.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist/generator/cli/bin.js');

await build({
  entryPoints: [bin],
  outfile: bin,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Functions and classes keep their names when the bundle renames clashing identifiers.
  keepNames: true,
  logLevel: 'warning',
});
