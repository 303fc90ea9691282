// write: the only stage besides the CLI that touches the disk. Every path is checked to stay
// inside the output folder (also through symlinks) before anything is written; files are
// written atomically (temp file + rename) and only when their bytes change; files a previous
// run generated but this run does not are removed (stale.ts: only files that carry the generated
// header, or are in the manifest when their format has no comments), so nothing the user put in
// the folder is ever deleted.
import { createTwoFilesPatch } from 'diff';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedFile } from '../core/generated-file.js';
import type { ReplayRecord } from '../check/replay-record.js';
import { commitAll, preflight, type Change } from './all-or-nothing.js';
import { manifestName, manifestText, readManifest } from './manifest.js';
import { findStale, removeStale } from './stale.js';

export { manifestName } from './manifest.js';

export class OutputPathError extends Error {}

/** Refuse a generated path that is absolute, climbs out, or hides in odd characters. */
export function checkRelativePath(rel: string): void {
  if (
    rel === '' ||
    rel.includes('\\') ||
    rel.includes('\0') ||
    rel.startsWith('/') ||
    /^[A-Za-z]:/.test(rel) ||
    rel.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')
  ) {
    throw new OutputPathError(`generated path '${rel}' is not a plain relative path inside the output folder`);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The deepest existing ancestor of `target`, resolved through symlinks, must lie inside `root`. */
async function assertInside(rootReal: string, target: string): Promise<void> {
  let probe = target;
  while (!(await exists(probe))) probe = path.dirname(probe);
  const real = await realpath(probe);
  if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
    throw new OutputPathError(`'${target}' resolves to '${real}', outside the output folder '${rootReal}'`);
  }
}

/**
 * Synchronous on purpose: a run compares every generated file with the disk, and a thousand
 * small reads through the thread pool (open, stat, read, close, each a round trip) took ~90 ms
 * where reading them in turn takes ~20 ms; nothing else runs while the CLI waits for them.
 */
function readIfExists(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The directory exists already: plan() created and checked it. */
async function writeAtomic(target: string, content: string): Promise<void> {
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export interface WriteResult {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Validate every path first so that a bad one means nothing at all is written. Containment is
 * checked per directory: a file that is itself a symlink is replaced by `rename`, never
 * written through, so only directories can lead a write outside the folder.
 */
async function plan(outDir: string, files: readonly GeneratedFile[]): Promise<string> {
  const seen = new Set<string>();
  for (const f of files) {
    checkRelativePath(f.path);
    if (f.path === manifestName) throw new OutputPathError(`'${f.path}' is reserved`);
    if (seen.has(f.path)) throw new OutputPathError(`two generated files share the path '${f.path}'`);
    seen.add(f.path);
  }
  await mkdir(outDir, { recursive: true });
  const rootReal = await realpath(outDir);
  const dirs = [...new Set(files.map((f) => path.dirname(path.join(rootReal, f.path))))].sort();
  for (const dir of dirs) await assertInside(rootReal, dir);
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  // A directory may have been swapped for a symlink between the check and mkdir; check again.
  for (const dir of dirs) await assertInside(rootReal, dir);
  return rootReal;
}

/**
 * `replay`: what the next `generate` judges replay safety against (check/replay-gate.ts); kept in
 * the manifest, so it changes only when generation succeeds.
 */
export async function writeOutput(outDir: string, allFiles: readonly GeneratedFile[], replay?: ReplayRecord): Promise<WriteResult> {
  // User-owned files live in the custom folder, written by user-files.ts.
  const files = allFiles.filter((f) => !f.userOwned);
  // Everything that could fail half-way is checked before the first folder is made.
  for (const f of files) checkRelativePath(f.path);
  await preflight(outDir, [...files.map((f) => f.path), manifestName]);
  const root = await plan(outDir, files);
  const written: string[] = [];
  const unchanged: string[] = [];
  const changes: Change[] = [];
  for (const f of files) {
    const current = readIfExists(path.join(root, f.path));
    if (current === f.content || (f.userOwned && current !== undefined)) {
      unchanged.push(f.path);
      continue;
    }
    changes.push({ path: f.path, content: f.content, previous: current });
    written.push(f.path);
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await commitAll(root, changes);
  written.sort();
  unchanged.sort();
  const produced = new Set(files.map((f) => f.path));
  const removed = await removeStale(root, await findStale({ root, produced, manifest: await readManifest(root), manifestName }));
  const manifest = manifestText(files, replay);
  if (readIfExists(path.join(root, manifestName)) !== manifest) await writeAtomic(path.join(root, manifestName), manifest);
  return { written, unchanged, removed };
}

export interface CheckProblem {
  readonly kind: 'stale' | 'missing' | 'extra';
  readonly path: string;
  /** Unified diff from what is on disk to what generate would write (stale only). */
  readonly diff?: string;
}

/**
 * Compare the output folder with what generate would write, reporting every stale, missing
 * and extra file (never stopping at the first). Extra files are exactly those generate would
 * remove (stale.ts); a file without the generated header is not ours and is not reported.
 */
export async function checkOutput(outDir: string, allFiles: readonly GeneratedFile[]): Promise<CheckProblem[]> {
  const files = allFiles.filter((f) => !f.userOwned);
  for (const f of files) checkRelativePath(f.path);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  const problems: CheckProblem[] = [];
  for (const f of sorted) {
    const current = readIfExists(path.join(outDir, f.path));
    if (current === undefined) problems.push({ kind: 'missing', path: f.path });
    else if (!f.userOwned && current !== f.content) {
      problems.push({ kind: 'stale', path: f.path, diff: createTwoFilesPatch(`a/${f.path}`, `b/${f.path}`, current, f.content, 'on disk', 'generated') });
    }
  }
  const produced = new Set(files.map((f) => f.path));
  const root = await realpath(outDir).catch(() => undefined);
  if (root !== undefined) {
    for (const rel of await findStale({ root, produced, manifest: await readManifest(root), manifestName })) problems.push({ kind: 'extra', path: rel });
  }
  return problems;
}
