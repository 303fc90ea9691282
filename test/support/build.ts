// `npm run build`'s steps, for the suites' global setups: CLI tests and child processes run what
// ships (tsc's output, the precompiled validators and templates, the bundled CLI), never a stale dist/.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export async function buildPackage(root: string): Promise<void> {
  const run = (args: readonly string[]) => promisify(execFile)(process.execPath, [...args], { cwd: root });
  try {
    await run([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
    await run([path.join(root, 'scripts/precompile.mjs')]);
    await run([path.join(root, 'scripts/bundle-cli.mjs')]);
  } catch (error) {
    const err = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build's steps failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}
