// The baseline of `eventsmith check`: the specs as published, read from a git revision, from
// another checkout (a directory: the project root of the baseline) or from one spec file. Spec
// discovery mirrors generate's: the spec arguments (paths relative to the working directory),
// else the configuration file (--config, or eventsmith.config.yaml) as the baseline has it,
// else events/**/*.yaml.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from './read-bounded.js';
import { noPosition, type Diagnostics } from '../core/diagnostics.js';
import type { SpecInput } from '../analyse.js';
import { GitError, openGitTree } from './git.js';
import { glob, globToRegExp } from './glob.js';
import { defaultConfigFile, defaultSpecGlob, displayPath, parseConfig } from './project.js';

export interface BaselineRequest {
  /** `--against`: a git revision, a directory or a spec file. */
  readonly against: string;
  /** Spec arguments as given (files or globs, relative to the working directory). */
  readonly specs: readonly string[];
  readonly config?: string;
}

export interface Baseline {
  readonly kind: 'git' | 'directory' | 'file';
  readonly specs: readonly SpecInput[];
  /** A baseline spec's name → the path to show for a finding that points into it. */
  readonly shownAs: (file: string) => string;
}

/** Where baseline files come from; paths are relative to the baseline's project root, forward slashes. */
interface Source {
  match(pattern: string): Promise<string[]>;
  /** undefined: no such file in the baseline. */
  read(rel: string): Promise<Uint8Array | undefined>;
  /** The name diagnostics show. */
  label(rel: string): string;
  /** The path as in the working tree. */
  working(rel: string): string;
}

const isGlob = (p: string): boolean => /[*?]/.test(p);

function posixRel(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join('/');
}

function gitSource(tree: Awaited<ReturnType<typeof openGitTree>>, against: string): Source {
  const toRepo = (rel: string): string | undefined => {
    const p = path.posix.normalize(path.posix.join(tree.prefix, rel));
    return p.startsWith('../') || p === '..' ? undefined : p;
  };
  const files = new Set(tree.files);
  return {
    async match(pattern) {
      const segments = pattern.split('/');
      const firstGlob = segments.findIndex(isGlob);
      const fixed = toRepo(segments.slice(0, firstGlob).join('/') || '.') ?? '';
      const rest = globToRegExp(segments.slice(firstGlob).join('/'));
      const base = fixed === '.' ? '' : `${fixed}/`;
      return tree.files
        .filter((f) => f.startsWith(base))
        .map((f) => f.slice(base.length))
        // As the file-system walk does: no dot folders or files, no node_modules.
        .filter((f) => !f.split('/').some((s) => s.startsWith('.') || s === 'node_modules') && rest.test(f))
        .map((f) => path.posix.relative(tree.prefix || '.', base + f))
        .sort();
    },
    async read(rel) {
      const p = toRepo(rel);
      return p !== undefined && files.has(p) ? tree.read(p) : undefined;
    },
    label: (rel) => `${against}:${toRepo(rel) ?? rel}`,
    working: (rel) => displayPath(path.join(tree.root, toRepo(rel) ?? rel)),
  };
}

function directorySource(root: string): Source {
  return {
    async match(pattern) {
      return (await glob(root, pattern)).map((f) => posixRel(root, f));
    },
    async read(rel) {
      try {
        return await readBounded(path.join(root, rel));
      } catch (e) {
        if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'EISDIR')) return undefined;
        throw e;
      }
    },
    label: (rel) => displayPath(path.join(root, rel)),
    working: (rel) => displayPath(path.join(root, rel)),
  };
}

/** Reads the baseline; undefined (with diagnostics) when it cannot be read. */
export async function loadBaseline(req: BaselineRequest, diags: Diagnostics): Promise<Baseline | undefined> {
  const cwd = process.cwd();
  // The reference is no file of its own (a revision, or a path the messages name).
  const at = noPosition();
  const kind = await stat(req.against).then(
    (s) => (s.isDirectory() ? 'directory' : s.isFile() ? 'file' : undefined),
    () => undefined,
  );
  try {
    if (kind === 'file') {
      const file = path.resolve(req.against);
      return { kind, specs: [{ file: displayPath(file), text: await readBounded(file) }], shownAs: (f) => f };
    }
    let source: Source;
    if (kind === 'directory') source = directorySource(path.resolve(req.against));
    else {
      try {
        source = gitSource(await openGitTree(req.against, cwd), req.against);
      } catch (e) {
        if (!(e instanceof GitError)) throw e;
        const hint = /\//.test(req.against) && e.message.startsWith('unknown revision') ? ' (in CI, check out with fetch-depth: 0 so that the base branch is there)' : '';
        diags.error('ES5004', `cannot read the baseline '${req.against}': it is not a file or directory, and git says: ${e.message}${hint}`, at);
        return undefined;
      }
    }
    const rels = await discover(source, req, cwd, diags);
    if (rels === undefined) return undefined;
    const specs: SpecInput[] = [];
    const shown = new Map<string, string>();
    for (const rel of rels) {
      const text = await source.read(rel);
      if (text === undefined) continue;
      specs.push({ file: source.label(rel), text });
      shown.set(source.label(rel), source.working(rel));
    }
    return { kind: kind ?? 'git', specs, shownAs: (f) => shown.get(f) ?? f };
  } catch (e) {
    if (e instanceof GitError || (e instanceof Error && 'code' in e)) {
      diags.error('ES5004', `cannot read the baseline '${req.against}': ${e.message}`, at);
      return undefined;
    }
    throw e;
  }
}

async function discover(source: Source, req: BaselineRequest, cwd: string, diags: Diagnostics): Promise<string[] | undefined> {
  const rel = (p: string): string => posixRel(cwd, path.resolve(cwd, p));
  if (req.specs.length > 0) {
    const out: string[] = [];
    for (const s of req.specs) out.push(...(isGlob(s) ? await source.match(rel(s)) : [rel(s)]));
    return [...new Set(out)].sort();
  }
  const configRel = rel(req.config ?? defaultConfigFile);
  const text = await source.read(configRel);
  let patterns = [defaultSpecGlob];
  if (text !== undefined) {
    const config = await parseConfig(source.label(configRel), text, diags);
    if (config === undefined) return undefined;
    const dir = path.posix.dirname(configRel);
    patterns = (config.specs ?? [defaultSpecGlob]).map((p) => (dir === '.' ? p : path.posix.join(dir, p)));
  }
  const out: string[] = [];
  for (const p of patterns) out.push(...(isGlob(p) ? await source.match(p) : [path.posix.normalize(p)]));
  return [...new Set(out)].sort();
}
