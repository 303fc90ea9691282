// Stale files: what a previous run generated into the output folder and this run no longer
// produces (a renamed domain, a removed event version). `generate` deletes them and `--check`
// reports them, from the same list, so a `--check` that fails on them passes after the next
// `generate`. A file counts as generated only by proof: its generated header, or, for formats
// that cannot hold a comment, its entry in the manifest. A file without that proof (a note, a
// script the user keeps there) is never touched and never reported.
import { lstat, open, readdir, realpath, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { hasGeneratedHeader, headerlessExtensions } from '../core/generated-file.js';

/** The banner is on the first lines; a spec list long enough to pass this is not a real one. */
const headerBytes = 64 * 1024;

async function head(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(headerBytes);
    const { bytesRead } = await handle.read(buf, 0, headerBytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Regular files under `dir`, relative, forward slashes; symlinks are neither followed nor listed. */
async function regularFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await regularFiles(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

export interface StaleQuery {
  /** The output folder (resolved through symlinks). */
  readonly root: string;
  /** Paths this run writes, relative to the output folder. */
  readonly produced: ReadonlySet<string>;
  /** Paths the previous run's manifest lists. */
  readonly manifest: readonly string[];
  /** The manifest's own name, which is never stale. */
  readonly manifestName: string;
}

/** Every stale file in the output folder, sorted. Reads only; deletes nothing. */
export async function findStale(q: StaleQuery): Promise<string[]> {
  const listed = new Set(q.manifest);
  const stale: string[] = [];
  for (const rel of (await regularFiles(q.root)).sort()) {
    if (rel === q.manifestName || q.produced.has(rel)) continue;
    const headerless = headerlessExtensions.includes(path.posix.extname(rel));
    if (headerless ? listed.has(rel) : hasGeneratedHeader(await head(path.join(q.root, rel)))) stale.push(rel);
  }
  return stale;
}

/**
 * Delete `stale` (from findStale) and the folders that only they kept alive, never the root.
 * Returns what was actually deleted: a file that vanished meanwhile is not counted.
 */
export async function removeStale(root: string, stale: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const dirs = new Set<string>();
  for (const rel of stale) {
    const target = path.join(root, rel);
    // The folder may have been swapped for a symlink since the listing: delete only inside root.
    const parent = await realpath(path.dirname(target)).catch(() => undefined);
    if (parent === undefined || (parent !== root && !parent.startsWith(root + path.sep))) continue;
    const st = await lstat(target).catch(() => undefined);
    if (!st?.isFile()) continue;
    await unlink(target);
    removed.push(rel);
    for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  // Deepest first, so a parent is tried after its children; rmdir refuses a folder with anything left in it.
  for (const d of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1))) {
    await rmdir(path.join(root, d)).catch(() => undefined);
  }
  return removed;
}
