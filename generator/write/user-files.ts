// The user-owned files in the custom folder (`customDir`, outside the output folder): created
// once with typed stubs; afterwards only the stubs of hooks the spec gained are added
// (merge-stubs.ts). Everything is planned, in memory, before anything is written, so a file that
// cannot take its stub stops the whole run with nothing written. Also: recognising a project
// still laid out the old way, with its code in `<out>/<slug>/custom/`, and saying exactly what to
// move where.
import { createTwoFilesPatch } from 'diff';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { hasGeneratedHeader, type GeneratedFile } from '../core/generated-file.js';
import { importModule } from '../core/import-module.js';
import { checkRelativePath, OutputPathError } from './index.js';
import { mergeStubs, type TsMorphModule } from './merge-stubs.js';

export interface UserFilePlan {
  /** Relative to the custom folder. */
  readonly path: string;
  readonly action: 'create' | 'update' | 'keep';
  /** What the file holds after the run. */
  readonly content: string;
  /** What it holds now (update and keep). */
  readonly current?: string;
  /** Functions added to an existing file. */
  readonly added: readonly string[];
}

export interface UserFilesPlan {
  readonly files: readonly UserFilePlan[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface UserFilesContext {
  readonly customDir: string;
  readonly outDir: string;
  /** A path as shown in messages (relative to the working directory). */
  readonly shown: (abs: string) => string;
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return undefined;
    throw e;
  }
}

function inside(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir + path.sep);
}

/** What generate would do to each user-owned file; reads only. */
export async function planUserFiles(ctx: UserFilesContext, files: readonly GeneratedFile[]): Promise<UserFilesPlan> {
  const plans: UserFilePlan[] = [];
  const diagnostics: Diagnostic[] = [];
  let tsMorph: TsMorphModule | undefined;
  for (const f of files) {
    checkRelativePath(f.path);
    const target = path.join(ctx.customDir, f.path);
    if (inside(ctx.outDir, target)) throw new OutputPathError(`user-owned file '${ctx.shown(target)}' would be inside the output folder '${ctx.shown(ctx.outDir)}'`);
    const current = await readIfExists(target);
    if (current === undefined) {
      plans.push({ path: f.path, action: 'create', content: f.content, added: [] });
      continue;
    }
    // Still the stubs generate would write today: nothing to add, nothing to check.
    if (current === f.content) {
      plans.push({ path: f.path, action: 'keep', content: current, current, added: [] });
      continue;
    }
    // ts-morph (with its TypeScript) takes a while to load: only a run that has user files to read pays for it.
    tsMorph ??= await importModule<TsMorphModule>('ts-morph');
    const checkedIn = ctx.shown(path.join(ctx.outDir, f.path));
    const merged = mergeStubs(tsMorph, { user: current, fresh: f.content, file: ctx.shown(target), checkedIn });
    diagnostics.push(...merged.diagnostics);
    plans.push({ path: f.path, action: merged.added.length ? 'update' : 'keep', content: merged.text, current, added: merged.added });
  }
  return { files: plans, diagnostics };
}

/** The nearest existing ancestor of `target`, through symlinks, must be inside `rootReal`. */
async function assertInside(rootReal: string, target: string): Promise<void> {
  let probe = target;
  for (;;) {
    try {
      await lstat(probe);
      break;
    } catch {
      probe = path.dirname(probe);
    }
  }
  const real = await realpath(probe);
  if (!inside(rootReal, real)) throw new OutputPathError(`'${target}' resolves to '${real}', outside the custom folder '${rootReal}'`);
}

/**
 * Create the folders the created and updated files need and check they stay inside the custom
 * folder, before the output folder is written: a custom folder that cannot be written (a file in
 * its place, a symlink out) then stops the run with nothing written anywhere. Returns the write.
 */
export async function prepareUserFiles(customDir: string, plans: readonly UserFilePlan[]): Promise<() => Promise<void>> {
  const changes = plans.filter((p) => p.action !== 'keep');
  if (changes.length === 0) return async () => {};
  await mkdir(customDir, { recursive: true });
  const root = await realpath(customDir);
  for (const dir of [...new Set(changes.map((p) => path.dirname(path.join(root, p.path))))].sort()) {
    await assertInside(root, dir);
    await mkdir(dir, { recursive: true });
    await assertInside(root, dir);
  }
  return () => writeUserFiles(root, changes);
}

/** Write the created and updated files (temp file + rename, so a crash never leaves half a file). */
async function writeUserFiles(root: string, changes: readonly UserFilePlan[]): Promise<void> {
  for (const p of changes) {
    const target = path.join(root, p.path);
    await assertInside(root, path.dirname(target));
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, p.content, { flag: 'wx' });
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/** For `--check`: a diff of what generate would add. */
export function userFileDiff(p: UserFilePlan): string {
  return createTwoFilesPatch(`a/${p.path}`, `b/${p.path}`, p.current ?? '', p.content, 'on disk', 'generated');
}

// ---- the layout before customDir ----------------------------------------------------------

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** `from '../types.js'` and `import('../x.js')`: the relative specifiers a moved file must change. */
function relativeSpecifiers(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*(['"])(\.\.?\/[^'"\n]*)\1/g)) found.add(m[2] as string);
  return [...found];
}

/**
 * Files the user keeps in `<out>/<slug>/custom/` (no generated header): the old layout. One
 * error per file, saying where it goes and which imports change; generate writes nothing until
 * they are moved, so no code is ever left behind in a folder generate owns.
 */
export async function oldLayoutDiagnostics(ctx: UserFilesContext): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  let slugs;
  try {
    slugs = (await readdir(ctx.outDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return out;
  }
  for (const slug of slugs) {
    const customOld = path.join(ctx.outDir, slug, 'custom');
    for (const rel of await filesUnder(customOld)) {
      const from = path.join(customOld, rel);
      const text = await readFile(from, 'utf8');
      if (hasGeneratedHeader(text)) continue; // generated once, stale now: generate removes it
      const to = path.join(ctx.customDir, slug, rel);
      const changes = relativeSpecifiers(text)
        .map((spec) => {
          const resolved = path.resolve(path.dirname(from), spec);
          let moved = path.relative(path.dirname(to), resolved).split(path.sep).join('/');
          if (!moved.startsWith('.')) moved = `./${moved}`;
          return moved === spec ? undefined : `'${spec}' → '${moved}'`;
        })
        .filter((c): c is string => c !== undefined);
      const exists = await readIfExists(to);
      out.push({
        code: 'ES5011',
        severity: 'error',
        message:
          `your code is inside the output folder, which generate owns; user-owned files now live in the custom folder (customDir). ` +
          `Move it to ${ctx.shown(to)}${changes.length ? ` and change its imports ${changes.join(', ')}` : ''}` +
          `${exists !== undefined ? ` (${ctx.shown(to)} exists already: keep one of the two)` : ''}. Nothing was written`,
        file: ctx.shown(from),
        line: 1,
        col: 1,
        path: '',
      });
    }
  }
  return out;
}
