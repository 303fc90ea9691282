import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.join(import.meta.dirname, '..', '..');
export const bin = path.join(repoRoot, 'dist', 'generator', 'cli', 'bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would: a separate process, no TTY, no stdin. */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', input: '', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
