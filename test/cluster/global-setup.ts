// The child processes of the cluster tests run the built runtime (dist/): build it once, unless
// `npm test` did just before (EVENTSMITH_SKIP_BUILD=1).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export default async function setup(): Promise<void> {
  if (process.env.EVENTSMITH_SKIP_BUILD === '1') return;
  const root = path.join(import.meta.dirname, '..', '..');
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      throw new Error(`tsc -p tsconfig.build.json failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    },
  );
}
