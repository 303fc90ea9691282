// CLI tests run the built bin as a user would; build once so they never test a stale dist/.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  // For a run of tests that do not use dist/ while the tree does not build (work in progress).
  if (process.env.EVENTSMITH_SKIP_BUILD === '1') return;
  const root = path.join(import.meta.dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
