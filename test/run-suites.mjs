// `npm test`'s vitest part: the main suite, then the replicated-cluster suite (its own config:
// three JVMs per file must not share the machine with the main suite's brokers). Each run's
// summary reporter appends its counts to a file named by EVENTSMITH_TEST_TOTALS; the line printed
// last is the total of both, so a CI log's closing summary covers every test that ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-totals-'));
const totalsFile = path.join(dir, 'totals.jsonl');
const suites = [
  { name: 'main', args: ['run'] },
  { name: 'cluster', args: ['run', '--config', 'vitest.cluster.config.ts'] },
];

const totals = { passed: 0, failed: 0, skipped: 0 };
const readEntries = () => {
  try {
    return readFileSync(totalsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  } catch {
    return [];
  }
};
let exitCode = 0;
try {
  for (const suite of suites) {
    const before = readEntries().length;
    const run = spawnSync(process.execPath, [vitest, ...suite.args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, EVENTSMITH_TEST_TOTALS: totalsFile },
    });
    const entry = readEntries()[before];
    if (entry) {
      totals.passed += entry.passed;
      totals.failed += entry.failed;
      totals.skipped += entry.skipped;
    }
    if (run.status !== 0) {
      exitCode = 1;
      // A run that died before reporting (setup failed, signal) counts as one failure.
      if (!entry || entry.failed === 0) totals.failed += 1;
      process.stdout.write(`\n${suite.name} suite: vitest exited with ${run.status ?? run.signal}\n`);
      // Killed (Ctrl-C, a CI timeout): stop here rather than start the next suite's servers.
      if (run.signal) break;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`\nAll suites (main, cluster):\nTests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(exitCode);
