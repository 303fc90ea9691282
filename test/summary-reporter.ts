// Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after vitest's own
// summary: CI systems that do not parse vitest's layout read this line instead.
import { appendFileSync } from 'node:fs';
import type { Reporter, RunnerTestFile } from 'vitest';

type Task = RunnerTestFile['tasks'][number];

function count(tasks: readonly Task[], acc: { passed: number; failed: number; skipped: number }): void {
  for (const t of tasks) {
    if (t.type === 'suite') count(t.tasks, acc);
    else if (t.mode === 'skip' || t.mode === 'todo') acc.skipped++;
    else if (t.result?.state === 'pass') acc.passed++;
    else if (t.result?.state === 'fail') acc.failed++;
    else acc.skipped++;
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const acc = { passed: 0, failed: 0, skipped: 0 };
    count(files, acc);
    // A file that failed to load has no tests but is still a failure.
    const failed = acc.failed + files.filter((f) => f.result?.state === 'fail' && f.tasks.length === 0).length + errors.length;
    process.stdout.write(`\nTests: ${acc.passed} passed, ${failed} failed${acc.skipped ? `, ${acc.skipped} skipped` : ''}\n`);
    // test/run-suites.mjs adds up the suites of one `npm test` from these lines.
    const totals = process.env.EVENTSMITH_TEST_TOTALS;
    if (totals) appendFileSync(totals, `${JSON.stringify({ passed: acc.passed, failed, skipped: acc.skipped })}\n`);
  }
}
