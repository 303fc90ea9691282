// `generate` says "rebuild required" when a projection's fingerprint differs from the one in the
// projections.ts it is about to replace: the table in the database was built with the old rules,
// and the new runner will refuse to apply until rebuildProjection() swapped in a rebuilt table.
// The same notice, under the same rule id, as `eventsmith check` (generator/check/projections.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from '../core/model.js';
import { projectionsPath } from '../emit/projections.js';

export interface RebuildNotice {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly projection: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly message: string;
}

/** `name: 'X',` then `table:` then `fingerprint: 'f'` as the projections emitter prints a definition. */
export function fingerprintsIn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^ {2}name: '([A-Za-z0-9]+)',\n {2}table: '[a-z0-9_]+',\n {2}fingerprint: '([0-9a-f]+)',$/gm)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

export async function rebuildNotices(outDir: string, model: Model, shownFile: (file: string) => string): Promise<RebuildNotice[]> {
  const notices: RebuildNotice[] = [];
  for (const d of model.domains) {
    if (d.projections.length === 0) continue;
    let previous: string;
    try {
      previous = await readFile(path.join(outDir, projectionsPath(d)), 'utf8');
    } catch {
      continue;
    }
    const before = fingerprintsIn(previous);
    for (const p of d.projections) {
      const from = before.get(p.name);
      if (from === undefined || from === p.fingerprint) continue;
      notices.push({
        file: shownFile(p.loc.file),
        line: p.loc.line,
        col: p.loc.col,
        projection: p.name,
        table: p.table,
        from,
        to: p.fingerprint,
        message: `projection ${p.name} changed (rules ${from} → ${p.fingerprint}): rebuild table ${p.table} with rebuildProjection before its runner applies again`,
      });
    }
  }
  return notices;
}
