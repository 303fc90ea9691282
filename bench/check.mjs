// Whole-process timing of `eventsmith check`, as CI runs it (Node start-up included): on the
// example against a git revision, and on synthetic specs of 100 and 1,000 event versions
// against themselves with one version added (the baseline committed in a temporary git
// repository, the new version in the working tree; for 1,000 also against a spec file, and
// with commands and sagas in every aggregate). The
// baseline is `node -e 0` measured in the same session, so figures compare across machines as
// ratios. CPU time (user + system of the process and the git it runs, from bash's `times`) is
// reported beside wall time: on a shared machine wall time mostly measures the queue for a core.
// Usage: npm run bench:check [-- --runs 7]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSpec } from './synthetic.mjs';
import { loadavg } from 'node:os';
import { median, runsFromArgv } from './timing.mjs';

/** Median/min/max wall ms and median CPU ms of `runs` runs of node with `args`. */
function time(args, cwd) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'bench', process.execPath, ...args], { cwd, encoding: 'utf8' });
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${(r.stdout + r.stderr).slice(0, 2000)}`);
    // `times` prints the shell's own times, then its children's: `0m1.234s 0m0.056s`.
    const [user, sys] = [...(r.stderr.trim().split('\n').pop() ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => (Number(m[1]) * 60 + Number(m[2])) * 1000);
    cpu.push((user ?? NaN) + (sys ?? NaN));
  }
  return { median: median(wall), min: Math.min(...wall), max: Math.max(...wall), cpu: median(cpu) };
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist/generator/cli/bin.js');
const runs = runsFromArgv(process.argv);


/** Event versions the check saw (published + new), from its own JSON report. */
function versionsSeen(args, cwd) {
  const r = spawnSync(process.execPath, [...args, '--format', 'json'], { cwd, encoding: 'utf8' });
  const { summary } = JSON.parse(r.stdout);
  return summary.published + summary.added;
}

function measure(name, args, cwd) {
  return { case: name, versions: versionsSeen(args, cwd), ...time(args, cwd) };
}

function git(args, cwd) {
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'ignore' });
}

/** A git repository whose HEAD holds `committed` as events/spec.yaml and whose working tree holds `working`. */
function repoWith(dir, committed, working) {
  mkdirSync(path.join(dir, 'events'), { recursive: true });
  writeFileSync(path.join(dir, 'events/spec.yaml'), committed);
  git(['init', '-q'], dir);
  git(['add', '.'], dir);
  git(['commit', '-q', '-m', 'baseline'], dir);
  writeFileSync(path.join(dir, 'events/spec.yaml'), working);
}

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-bench-check-'));
try {
  const rows = [];
  const baseline = time(['-e', '0'], work);
  rows.push({ case: 'node -e 0 (baseline)', versions: 0, ...baseline });

  const example = path.join(work, 'example');
  cpSync(path.join(root, 'generated-example/events'), path.join(example, 'events'), { recursive: true });
  git(['init', '-q'], example);
  git(['add', '.'], example);
  git(['commit', '-q', '-m', 'baseline'], example);
  rows.push(measure('generated-example, --against HEAD (git)', [bin, 'check', '--against', 'HEAD'], example));

  for (const n of [100, 1000]) {
    const dir = path.join(work, `s${n}`);
    // syntheticSpec(n + 1) is syntheticSpec(n) plus one version (with a default) of its last event.
    repoWith(dir, syntheticSpec(n), syntheticSpec(n + 1));
    rows.push(measure(`synthetic ${n} + 1 new version, --against HEAD (git)`, [bin, 'check', '--against', 'HEAD'], dir));
    if (n === 1000) {
      writeFileSync(path.join(work, 'baseline.yaml'), syntheticSpec(n));
      rows.push(measure(`synthetic ${n} + 1 new version, --against a spec file`, [bin, 'check', '--against', path.join(work, 'baseline.yaml')], dir));
      // The same with a command of 2 versions and a saga of 2 steps per aggregate (issue 15's rules).
      const flows = path.join(work, `s${n}-flows`);
      repoWith(flows, syntheticSpec(n, { flows: true }), syntheticSpec(n + 1, { flows: true }));
      rows.push(measure(`synthetic ${n} + 1 new version, 100 commands and 100 sagas, --against HEAD (git)`, [bin, 'check', '--against', 'HEAD'], flows));
    }
  }
  console.log(`runs per case: ${runs}; node ${process.version}; ${new Date().toISOString()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| case | event versions | median ms | min ms | max ms | × baseline | median CPU ms | CPU × baseline |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.case} | ${r.versions} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} | ${(r.median / baseline.median).toFixed(1)} | ${r.cpu.toFixed(0)} | ${(r.cpu / baseline.cpu).toFixed(1)} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
