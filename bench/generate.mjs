// Whole-process timing of `eventsmith generate`, as a user runs it (Node start-up included),
// on the example and on synthetic specs of 10, 100 and 1,000 event versions. The baseline is
// `node -e 0` measured in the same session, so figures are comparable across machines as
// ratios. Usage: npm run bench [-- --runs 7]
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSpec } from './synthetic.mjs';
import { runsFromArgv, time as timeRuns } from './timing.mjs';

const time = (args, cwd) => timeRuns(args, cwd, runs);

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist/generator/cli/bin.js');
const runs = runsFromArgv(process.argv);


const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-bench-'));
try {
  const rows = [];
  const baseline = time(['-e', '0'], work);
  rows.push({ case: 'node -e 0 (baseline)', versions: 0, ...baseline });
  const example = time([bin, 'generate', '--config', path.join(root, 'generated-example/eventsmith.config.yaml'), '--out', path.join(work, 'example-out')], root);
  rows.push({ case: 'generated-example', versions: (readFileSync(path.join(root, 'generated-example/events/orders.yaml'), 'utf8').match(/^\s*- (doc:|fields:)/gm) ?? []).length, ...example });
  for (const n of [10, 100, 1000]) {
    const dir = path.join(work, `s${n}`);
    mkdirSync(path.join(dir, 'events'), { recursive: true });
    writeFileSync(path.join(dir, 'events/spec.yaml'), syntheticSpec(n));
    rows.push({ case: `synthetic ${n}`, versions: n, ...time([bin, 'generate'], dir) });
  }
  console.log(`runs per case: ${runs}; node ${process.version}; ${new Date().toISOString()}`);
  console.log('| case | event versions | median ms | min ms | max ms | × baseline | ms per version over baseline |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const per = r.versions ? ((r.median - baseline.median) / r.versions).toFixed(2) : '';
    console.log(`| ${r.case} | ${r.versions} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} | ${(r.median / baseline.median).toFixed(1)} | ${per} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
