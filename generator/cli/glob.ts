import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** `events/**\/*.yaml` → a regex over forward-slash paths. Supports `**`, `*`, `?`. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, rel: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(path.join(dir, e.name), childRel, out);
    else if (e.isFile()) out.push(childRel);
  }
}

/** Files under `base` matching `pattern` (relative to base), sorted so the run is deterministic. */
export async function glob(base: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((s) => /[*?]/.test(s));
  if (firstGlob < 0) return [path.join(base, pattern)];
  const fixed = segments.slice(0, firstGlob).join('/');
  const root = path.join(base, fixed);
  const found: string[] = [];
  await walk(root, '', found);
  const rest = globToRegExp(segments.slice(firstGlob).join('/'));
  return found.filter((f) => rest.test(f)).sort().map((f) => path.join(root, f));
}
