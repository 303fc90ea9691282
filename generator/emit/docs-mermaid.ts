// Mermaid text that parses whatever the spec contains. Diagram ids are built here and never
// from raw names: Mermaid's lexers stop an id at `-`, `:`, `{` or whitespace, read `end`,
// `default` or `direction` as keywords, and `A---oB` as a circle edge. Labels are written as
// character references (`#35;`), which Mermaid decodes in every diagram type before its lexer
// could read `"`, `:`, `;`, `%%` or `#` as syntax.

/**
 * The ids of one diagram: readable (`evt_Order_OrderPlaced`), limited to `[A-Za-z0-9_]`,
 * starting with a fixed lower-case kind, and distinct for distinct keys even when the names
 * they come from differ only in characters that are replaced. One instance per diagram; no
 * state outlives the call that renders it.
 */
export class MermaidIds {
  private readonly byKey = new Map<string, string>();
  private readonly taken = new Set<string>();

  /** The id of the node named by `kind` (a fixed word such as `evt`) and `parts`. */
  id(kind: string, ...parts: readonly string[]): string {
    const key = JSON.stringify([kind, ...parts]);
    const hit = this.byKey.get(key);
    if (hit !== undefined) return hit;
    const base = [kind, ...parts].map((p) => p.replace(/[^A-Za-z0-9]/g, '_')).join('_');
    let id = base;
    for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
    this.taken.add(id);
    this.byKey.set(key, id);
    return id;
  }
}

/** Text for a label, with every character Mermaid could read as syntax as a character reference. */
export function mermaidText(text: string): string {
  let out = '';
  for (const ch of text.replace(/\s+/g, ' ').trim()) {
    out += /[A-Za-z0-9 ._,()/+-]/.test(ch) ? ch : `#${ch.codePointAt(0) ?? 0};`;
  }
  // The state diagram's lexer takes `direction LR` anywhere on a line as a statement.
  return out.replace(/(directio)(n)(?= )/gi, (_m, head: string, n: string) => `${head}#${n.codePointAt(0) ?? 0};`);
}

/** A quoted flowchart label: `"Order.OrderPlaced"`. */
export function mermaidLabel(text: string): string {
  return `"${mermaidText(text)}"`;
}

/** A fenced Mermaid block for Markdown. */
export function mermaidBlock(lines: readonly string[]): string {
  return ['```mermaid', ...lines, '```'].join('\n');
}

/** Node shapes of the event-flow chart. */
export type FlowShape = 'subroutine' | 'rounded' | 'cylinder' | 'hexagon' | 'flag' | 'stadium';

const shapeBrackets: Record<FlowShape, readonly [string, string]> = {
  subroutine: ['[[', ']]'],
  rounded: ['(', ')'],
  cylinder: ['[(', ')]'],
  hexagon: ['{{', '}}'],
  flag: ['>', ']'],
  stadium: ['([', '])'],
};

/**
 * A Mermaid `flowchart` built node by node: every node is declared once, before any edge, so
 * an edge can only name a declared node; repeated edges print once. One instance per diagram.
 */
export class Flowchart {
  private readonly ids = new MermaidIds();
  private readonly nodes: string[] = [];
  private readonly edges: string[] = [];
  private readonly declared = new Set<string>();
  private readonly printed = new Set<string>();

  /** The node's id, declaring it with `shape` and `label` the first time. */
  node(kind: string, parts: readonly string[], shape: FlowShape, label: string): string {
    const id = this.ids.id(kind, ...parts);
    if (!this.declared.has(id)) {
      this.declared.add(id);
      const [open, close] = shapeBrackets[shape];
      this.nodes.push(`  ${id}${open}${mermaidLabel(label)}${close}`);
    }
    return id;
  }

  edge(from: string, to: string, opts: { readonly label?: string; readonly dotted?: boolean } = {}): void {
    const arrow = opts.dotted ? '-.->' : '-->';
    const line = `  ${from} ${arrow}${opts.label !== undefined ? `|${mermaidLabel(opts.label)}|` : ''} ${to}`;
    if (this.printed.has(line)) return;
    this.printed.add(line);
    this.edges.push(line);
  }

  lines(): string[] {
    return ['flowchart LR', ...this.nodes, ...this.edges];
  }
}
