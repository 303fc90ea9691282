#!/usr/bin/env node
import { exitCodes, main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = exitCodes.internal;
  },
);
