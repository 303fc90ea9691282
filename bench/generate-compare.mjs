// Two builds of eventsmith side by side (e.g. a commit before a change and after), interleaved
// rounds: `node -e 0`, then each build's `generate` on synthetic specs of 10 and 1,000 event
// versions. Fixed cost = the 10-version run's median minus `node -e 0`'s, same run.
// Usage: node bench/generate-compare.mjs <before bin.js> <after bin.js> [--runs 5]
// (a "before" build: git worktree add --detach /tmp/before <commit>, link node_modules, tsc -p tsconfig.build.json)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syntheticSpec } from './synthetic.mjs';
import { runsFromArgv } from './timing.mjs';

const [before, after] = process.argv.slice(2, 4).map((p) => path.resolve(p));
const runs = runsFromArgv(process.argv, 5);
const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-compare-'));
for (const n of [10, 1000]) {
  mkdirSync(path.join(work, `s${n}`, 'events'), { recursive: true });
  writeFileSync(path.join(work, `s${n}`, 'events/spec.yaml'), syntheticSpec(n));
}
const cases = [['node -e 0', ['-e', '0'], ''], ['before, 10', [before, 'generate'], 's10'], ['after, 10', [after, 'generate'], 's10'],
  ['before, 1000', [before, 'generate'], 's1000'], ['after, 1000', [after, 'generate'], 's1000']];
const samples = Object.fromEntries(cases.map(([k]) => [k, []]));
const load = [os.loadavg()[0]];
try {
  for (let r = 0; r < runs; r++) {
    for (const [k, args, dir] of r % 2 ? [...cases].reverse() : cases) {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(process.execPath, args, { cwd: path.join(work, dir) });
      if (p.status !== 0) throw new Error(`${k}: ${p.stderr}`);
      samples[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
load.push(os.loadavg()[0]);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`runs: ${runs}; load average (1 min) at start / end: ${load.map((l) => l.toFixed(1)).join(' / ')}`);
for (const [k] of cases) console.log(`${k.padEnd(14)} median ${Math.round(med(samples[k]))} ms, min ${Math.round(Math.min(...samples[k]))} ms`);
const node = med(samples['node -e 0']);
const fixedBefore = med(samples['before, 10']) - node;
const fixedAfter = med(samples['after, 10']) - node;
console.log(`fixed cost over node -e 0: before ${Math.round(fixedBefore)} ms, after ${Math.round(fixedAfter)} ms (${(fixedAfter / fixedBefore).toFixed(2)}×)`);
console.log(`1,000 versions: after / before = ${(med(samples['after, 1000']) / med(samples['before, 1000'])).toFixed(2)}×`);
