// Bundles the CLI and writes its V8 code cache (part of `npm run build`, after tsc and precompile).
//
// - dist/generator/cli/cli.cjs: main.js and every module it imports, with the precompiled
//   validators and templates and Handlebars' runtime, as one CommonJS-style script. Node's ES
//   module loader spent ~0.5 ms on each of the ~125 modules of a `generate` run; one file, and
//   one code cache, instead. Commands stay lazy (esbuild defers a module reached only through a
//   dynamic import until that import runs); the rarely needed packages (yaml, ajv, the Handlebars
//   compiler, ts-morph) stay outside and are required when a run needs them.
// - dist/generator/cli/cli.cjs.v8-cache: V8's code for the script after a training run (the
//   example generated, checked, generated again), so a run neither parses the bundle nor compiles
//   the functions it calls. cli/code-cache.ts uses it only for the exact source it was made from.
// - dist/generator/cli/bin.js: the launcher (cli/launch.ts) that loads the two.
//
// Library entry points (eventsmith, eventsmith/runtime, eventsmith/testing) are tsc's modules.
import { build } from 'esbuild';
import { isAscii } from 'node:buffer';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = path.join(root, 'dist/generator/cli');
const cli = path.join(cliDir, 'cli.cjs');

// In the bundle the precompiled modules and Handlebars' runtime are bundled (core/precompiled.ts
// requires them by computed name, which a bundler cannot follow), and a dynamic import goes to the
// launcher's import(): the script has no module loader of its own.
const swaps = {
  name: 'swaps',
  setup(b) {
    // External, but not its subpath handlebars/runtime (an `external` entry would take both).
    b.onResolve({ filter: /^handlebars$/ }, () => ({ path: 'handlebars', external: true }));
    b.onLoad({ filter: /[\\/]dist[\\/]generator[\\/]core[\\/]precompiled\.js$/ }, (args) => ({
      resolveDir: path.dirname(args.path),
      contents: `import { createRequire } from 'node:module';
const nodeRequire = createRequire(import.meta.url);
const bundled = {
  templates: () => require('../precompiled/templates.cjs'),
  'spec-validators': () => require('../precompiled/spec-validators.cjs'),
  'config-validator': () => require('../precompiled/config-validator.cjs'),
};
export function loadPrecompiled(name) {
  return Object.hasOwn(bundled, name) ? bundled[name]() : undefined;
}
export function requireLazily(specifier) {
  return specifier === 'handlebars/runtime' ? require('handlebars/runtime') : nodeRequire(specifier);
}
`,
    }));
    b.onLoad({ filter: /[\\/]dist[\\/]generator[\\/]core[\\/]import-module\.js$/ }, () => ({
      contents: 'export function importModule(specifier) { return __eventsmithImport(specifier); }\n',
    }));
  },
};

await build({
  entryPoints: [path.join(cliDir, 'main.js')],
  outfile: cli,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['yaml', 'ajv', 'ajv/*', 'ts-morph'],
  define: { 'import.meta.url': '__eventsmithUrl' },
  // The sources are ES modules, strict throughout; the script keeps that.
  banner: { js: '"use strict";' },
  charset: 'ascii',
  plugins: [swaps],
  // No keepNames: it wraps every function the bundle creates in a name-setting call
  // (Object.defineProperty per closure, ~2% of a 1,000-version run); nothing the CLI prints or
  // decides depends on a function's or class's name (errors that show one set it themselves).
  keepNames: false,
  logLevel: 'warning',
});

const text = readFileSync(cli);
// import() in a vm script fails at run time ("dynamic import callback"): core/import-module.ts is the way.
const dynamicImport = /(?<![\w$.])import\(/.exec(text.toString('utf8'));
if (dynamicImport) throw new Error(`scripts/bundle-cli.mjs: cli.cjs calls import() (offset ${dynamicImport.index}); route it through core/import-module.ts`);
if (!isAscii(text)) console.warn('scripts/bundle-cli.mjs: cli.cjs is not ASCII (a comment?); it still runs, decoded as UTF-8, ~10 ms slower');

await build({
  entryPoints: [path.join(cliDir, 'launch.js')],
  outfile: path.join(cliDir, 'bin.js'),
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  external: ['./cli.cjs'],
  logLevel: 'warning',
});

// Training: the functions compiled while generating and checking the example go into the cache.
const { applyCliV8Flags, loadCommonJs, codeCacheOf } = await import(pathToFileURL(path.join(cliDir, 'code-cache.js')).href);
// The launcher's V8 flags, before compiling: V8 uses a code cache only under the flags it was made with.
applyCliV8Flags();
const loaded = loadCommonJs(cli, undefined, (specifier) => import(specifier));
const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-cache-'));
try {
  const silent = { out() {}, err() {}, isTTY: false };
  const config = path.join(root, 'generated-example/eventsmith.config.yaml');
  const into = ['--out', path.join(work, 'out'), '--custom-dir', path.join(work, 'custom')];
  await loaded.exports.main(['generate', '--check', '--config', config], silent);
  await loaded.exports.main(['generate', '--config', config, ...into], silent);
  await loaded.exports.main(['generate', '--config', config, ...into], silent);
} finally {
  rmSync(work, { recursive: true, force: true });
}
// Written aside and renamed: a CLI run during a rebuild reads the old cache (refused for the new
// bundle by its hash) or the new one, never half of one.
const cacheFile = `${cli}.v8-cache`;
writeFileSync(`${cacheFile}.${process.pid}.tmp`, codeCacheOf(loaded));
renameSync(`${cacheFile}.${process.pid}.tmp`, cacheFile);
