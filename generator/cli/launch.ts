#!/usr/bin/env node
// The installed `eventsmith` command (scripts/bundle-cli.mjs makes it dist/generator/cli/bin.js):
// runs the bundled CLI, cli.cjs, through the code cache the build wrote (cli/code-cache.ts).
// bin.ts is the same entry for tsc's unbundled modules.
import { fileURLToPath } from 'node:url';
import { applyCliV8Flags, loadCommonJs } from './code-cache.js';
import type * as Cli from './main.js';

// Before the bundle is compiled: the code cache was made under these flags (scripts/bundle-cli.mjs).
applyCliV8Flags();
const file = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const { exports: cli } = loadCommonJs<typeof Cli>(file, `${file}.v8-cache`, (specifier) => import(specifier));

cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = cli.exitCodes.internal;
  },
);
