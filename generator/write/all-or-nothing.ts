// All-or-nothing writing of a generation run. Before anything is touched, every target is
// checked (a name too long for the file system, a file where a folder must go, a folder where a
// file must go); then every changed file is written into a staging folder inside the output
// folder (same file system, so failures such as a full disk happen there, not half-way through
// the real files) and renamed into place. Should a rename still fail, the files already moved
// are put back as they were. Kept apart from write/index.ts so that what is written (manifest,
// stale-file removal, user-owned files) and how it is written change independently.
import { randomBytes } from 'node:crypto';
import { lstatSync, statSync, type Stats } from 'node:fs';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** NAME_MAX and PATH_MAX of Linux and macOS file systems (bytes, UTF-8). */
export const fsLimits = { maxNameBytes: 255, maxPathBytes: 4095 } as const;

/** A write refused before anything was written; `code` is the diagnostic code to report. */
export class WriteRefusedError extends Error {
  constructor(
    readonly code: 'ES4003' | 'ES4005',
    message: string,
  ) {
    super(message);
  }
}

export interface Change {
  /** Relative to the output folder. */
  readonly path: string;
  readonly content: string;
  /** What was there before (undefined: no file), to restore it if the run fails half-way. */
  readonly previous: string | undefined;
}

/**
 * What is at `p`; a symlink counts as what it points to (write/index.ts checks where it leads).
 * Synchronous on purpose: preflight asks this of every target in turn, and a thousand awaited
 * lstat calls through the thread pool cost ~40 ms more than the same calls made directly.
 */
function kindOf(p: string): 'file' | 'dir' | 'other' | undefined {
  let l: Stats | undefined;
  try {
    // Not only ENOENT: a file where a folder should be (ENOTDIR) also means nothing is there.
    l = lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (l === undefined) return undefined;
  let s: Stats = l;
  if (l.isSymbolicLink()) {
    try {
      s = statSync(p);
    } catch {
      s = l;
    }
  }
  return s.isDirectory() ? 'dir' : s.isFile() || s.isSymbolicLink() ? 'file' : 'other';
}

/**
 * Everything that would make a write fail, found without writing: checked for every target
 * first, so a refused run leaves the output folder exactly as it was.
 */
export async function preflight(outDir: string, rels: readonly string[]): Promise<void> {
  const root = path.resolve(outDir);
  const dirs = new Set<string>();
  for (const rel of rels) {
    for (const seg of rel.split('/')) {
      if (Buffer.byteLength(seg) > fsLimits.maxNameBytes) {
        throw new WriteRefusedError('ES4005', `generated file name '${seg.slice(0, 60)}…' is ${Buffer.byteLength(seg)} bytes; file systems allow ${fsLimits.maxNameBytes}`);
      }
    }
    const abs = path.join(root, rel);
    if (Buffer.byteLength(abs) > fsLimits.maxPathBytes) {
      throw new WriteRefusedError('ES4005', `generated path '${rel.slice(0, 60)}…' is longer than ${fsLimits.maxPathBytes} bytes inside the output folder; choose a shorter output folder`);
    }
    const kind = kindOf(abs);
    if (kind === 'dir' || kind === 'other') throw new WriteRefusedError('ES4003', `'${rel}' is in the way: generate writes a file there, and it is ${kind === 'dir' ? 'a folder' : 'not a regular file'}`);
    for (let d = path.dirname(abs); d.length > root.length && d.startsWith(root); d = path.dirname(d)) dirs.add(d);
  }
  dirs.add(root);
  for (const d of [...dirs].sort()) {
    const kind = kindOf(d);
    if (kind !== undefined && kind !== 'dir') {
      throw new WriteRefusedError('ES4003', `'${path.relative(root, d) || d}' is in the way: generate needs a folder there, and it is a file`);
    }
  }
}

/**
 * Writes every change or none: staged in a folder inside `root`, then renamed into place;
 * on failure the targets already replaced get their previous content back. The folders of
 * the targets exist already (write/index.ts creates and checks them).
 */
export async function commitAll(root: string, changes: readonly Change[]): Promise<void> {
  if (changes.length === 0) return;
  const staging = path.join(root, `.eventsmith-staging-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  const done: Change[] = [];
  try {
    const staged = changes.map((c, i) => ({ change: c, file: path.join(staging, String(i)) }));
    for (const s of staged) await writeFile(s.file, s.change.content, { flag: 'wx' });
    for (const s of staged) {
      await rename(s.file, path.join(root, s.change.path));
      done.push(s.change);
    }
  } catch (e) {
    await restore(root, staging, done);
    throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function restore(root: string, staging: string, done: readonly Change[]): Promise<void> {
  for (const c of done) {
    const target = path.join(root, c.path);
    try {
      if (c.previous === undefined) await unlink(target);
      else {
        const tmp = path.join(staging, `restore-${randomBytes(6).toString('hex')}`);
        await writeFile(tmp, c.previous, { flag: 'wx' });
        await rename(tmp, target);
      }
    } catch {
      // Best effort: the original error is the one to report.
    }
  }
}

