// `{ price: decimal(12,2) }`: inside a YAML flow mapping the comma ends the entry, so the parser
// reads `price: "decimal(12"` and a second key `2)` with no value. The schema can only say that
// `2)` is not a field name; this finds exactly that shape so the user is told to quote it.
import type { PathSegment } from '../load/path.js';

export interface SplitTypeExpr {
  /** Path of the value holding the first half (`decimal(12`). */
  readonly path: readonly PathSegment[];
  /** Path of the stray key holding the second half (`2)`). */
  readonly strayKey: readonly PathSegment[];
  /** The type expression as written, rejoined (`decimal(12,2)`). */
  readonly written: string;
  readonly message: string;
}

const firstHalf = /^decimal\(\s*\d+\s*$/;
const secondHalf = /^\s*\d+\s*\)[\][?<>\s]*$/;

export function findSplitTypeExprs(data: unknown): SplitTypeExpr[] {
  const out: SplitTypeExpr[] = [];
  walk(data, [], out);
  return out;
}

// `path` is one stack pushed and popped on the way down (copied only for a finding): copying
// it at every node allocated for every value of the spec (1,000 versions: ~2% of generate).
function walk(value: unknown, path: PathSegment[], out: SplitTypeExpr[]): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], path, out);
      path.pop();
    }
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return;
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i] as [string, unknown];
    const next = entries[i + 1];
    if (typeof v === 'string' && firstHalf.test(v) && next !== undefined && secondHalf.test(next[0]) && next[1] === null) {
      const written = `${v},${next[0].trim()}`;
      out.push({
        path: [...path, key],
        strayKey: [...path, next[0]],
        written,
        message: `\`${written}\` was split at its comma: inside a flow mapping \`{ … }\` a comma ends the entry, so \`${next[0]}\` became a key of its own; quote the type: \`${key}: "${written}"\``,
      });
      continue;
    }
    path.push(key);
    walk(v, path, out);
    path.pop();
  }
}
