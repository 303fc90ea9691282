// Checks on the parsed YAML nodes before they become data. The DSL needs plain mappings,
// sequences and scalars: an explicit tag other than the core ones (`!!omap`, `!!set`,
// `!!binary`, `!custom`) would turn into a JS Map, Set or Buffer that later stages silently
// read as empty, so it is refused here. Aliases are checked one by one so that an alias to
// no anchor, or to the node it sits in (an infinitely deep value), gets its own message.
import type { Document, Node } from 'yaml';
import type { YamlLib } from './yaml-lib.js';

/** The core-schema tags a value may carry explicitly (`!!str 5` is a string). */
const allowedTags: ReadonlySet<string> = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

export interface NodeProblem {
  readonly kind: 'tag' | 'undefined-alias' | 'recursive-alias' | 'complex-key';
  readonly offset: number;
  readonly text: string;
}

/** Problems in document order; the nesting is already bounded (loadLimits.maxDepth). */
export function nodeProblems(y: YamlLib, doc: Document.Parsed, source: string): NodeProblem[] {
  const { isAlias, isMap, isPair, isSeq } = y;
  const out: NodeProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (isPair(node)) {
      // A mapping or list as a key (`? [a, b]: x`) has no place in the DSL and would be
      // stringified into a multi-line key.
      if (isMap(node.key) || isSeq(node.key)) {
        out.push({ kind: 'complex-key', offset: (node.key as Node).range?.[0] ?? 0, text: '' });
        stack.push(node.value);
        continue;
      }
      stack.push(node.value, node.key);
      continue;
    }
    if (isAlias(node)) {
      const start = node.range?.[0] ?? 0;
      const target = node.resolve(doc) as Node | undefined;
      if (!target) out.push({ kind: 'undefined-alias', offset: start, text: node.source });
      else if (target.range && start >= target.range[0] && start < target.range[1]) {
        out.push({ kind: 'recursive-alias', offset: start, text: node.source });
      }
      continue;
    }
    const n = node as Node;
    if (n.tag !== undefined && !allowedTags.has(n.tag)) {
      const at = n.range?.[0] ?? 0;
      // The tag precedes the node on its line; point at it.
      const bang = source.lastIndexOf('!', at);
      const lineStart = source.lastIndexOf('\n', at) + 1;
      out.push({ kind: 'tag', offset: bang >= lineStart ? bang : at, text: n.tag.replace(/^tag:yaml\.org,2002:/, '!!') });
    }
    if (isMap(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
    else if (isSeq(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
  }
  return out.sort((a, b) => a.offset - b.offset);
}
