// The kit scenarios under node:test (run by kit.test.ts as `node --test`): the kits need no
// vitest. Run by hand: npm run build && node --test test/testing/kit.node-test.mjs
import { test } from 'node:test';
import { scenarios } from './scenarios.mjs';

for (const [name, run] of Object.entries(scenarios)) test(name, run);
