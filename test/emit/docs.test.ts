// The docs emitter: the catalog names everything the spec declares, its tables keep their
// shape whatever the docs and defaults contain, and its Mermaid blocks are well-formed (every
// node and state an edge names is declared, ids are plain, labels hold no Mermaid syntax) even
// for names the resolver would refuse. The saga state machine is checked transition by transition.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command, CommandSend, DomainEvent, Domain, Duration, Model, Saga, SagaStep } from '../../generator/core/model.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { fingerprintOf } from '../../generator/emit/avro.js';
import { avroSchemaOf } from '../../generator/emit/avro-schema.js';
import { defaultEmitOptions, type EmitOptions } from '../../generator/emit/context.js';
import { emitDocs } from '../../generator/emit/docs.js';
import { mdCell, mdCode, mdTable } from '../../generator/emit/docs-markdown.js';
import { MermaidIds, mermaidText } from '../../generator/emit/docs-mermaid.js';
import { sagaStateDiagram } from '../../generator/emit/docs-saga.js';
import { analyse } from '../../generator/pipeline.js';
import { dataschemaFor } from '../../generator/runtime/cloudevents.js';
import { custom, declarative, assign, evolvingEvent, lines } from './evolution-fixtures.js';
import { aggregate, command, domain, event, field, loc, model, ordersDomain, t } from './model-fixtures.js';

const root = path.join(import.meta.dirname, '../..');
const templates = createTemplateSet(new Map([['catalog.md.hbs', readFileSync(path.join(root, 'templates/catalog.md.hbs'), 'utf8')]]));

function emit(m: Model, options: EmitOptions = defaultEmitOptions): Map<string, string> {
  return new Map(emitDocs({ model: m, templates, options }).map((f) => [f.path, f.content]));
}

function catalog(d: Domain, ...others: Domain[]): string {
  const files = emit(model(d, ...others));
  const text = files.get(`${d.name.slice(d.name.lastIndexOf('.') + 1)}/docs/catalog.md`);
  if (text === undefined) throw new Error(`no catalog among ${[...files.keys()].join(', ')}`);
  return text;
}

/** The resolved model of the orders case: the example service's spec. */
function ordersModel(): Model {
  const file = path.join(root, 'test/cases/orders/input.yaml');
  const result = analyse([{ file: 'input.yaml', text: readFileSync(file) }]);
  if (!result.model) throw new Error(JSON.stringify(result.diagnostics));
  return result.model;
}

/** An event a saga names (of no aggregate of the model unless it is one's). */
function ev(aggregateName: string, name: string): DomainEvent {
  return event('com.example.work', aggregateName, name, [{ fields: [] }]);
}

/** A command sent with custom data to a fixed target. */
function send(aggregateName: string, name: string): CommandSend {
  const c: Command = command('com.example.work', aggregateName, name, [{ fields: [] }], []);
  return { kind: 'commandSend', command: c, to: { kind: 'literal', value: 'x' }, toType: t.prim('string'), data: { kind: 'custom', loc }, loc };
}

function dur(iso: string): Duration {
  return { kind: 'duration', iso, ms: 1 };
}

function step(name: string, n: number, compensation: boolean, timeout?: string): SagaStep {
  return {
    kind: 'sagaStep',
    name,
    send: send('Work', `Do${n}`),
    succeedsOn: [ev('Work', `Done${n}`)],
    failsOn: [ev('Work', `Failed${n}`)],
    ...(compensation ? { compensation: { kind: 'compensation', send: send('Work', `Undo${n}`), succeedsOn: [], failsOn: [], loc } } : {}),
    ...(timeout !== undefined ? { timeout: dur(timeout) } : {}),
    loc,
  };
}

function saga(name: string, steps: readonly SagaStep[], extra: Partial<Saga> = {}): Saga {
  return {
    kind: 'saga',
    name,
    startedBy: ev('Work', 'Started'),
    correlation: { kind: 'aggregateId', type: t.logical('uuid') },
    retry: { kind: 'retry', maxAttempts: 3, backoff: dur('PT1S') },
    steps,
    loc,
    ...extra,
  };
}

function mermaidBlocks(text: string): string[][] {
  return [...text.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => (m[1] ?? '').split('\n'));
}

const plainId = /^[a-z]+(_[A-Za-z0-9_]*)?$/;
/** A label after character-reference escaping: nothing a Mermaid lexer reads as syntax. */
const safeLabel = /^(?:[A-Za-z0-9 ._,()/+-]|#\d+;)*$/;

interface StateGraph {
  readonly declared: Set<string>;
  readonly edges: { from: string; to: string; label?: string }[];
}

/** Parses a stateDiagram-v2 block as this emitter writes it; throws on any other line. */
function parseStateDiagram(block: readonly string[]): StateGraph {
  expect(block[0]).toBe('stateDiagram-v2');
  const declared = new Set<string>();
  const edges: { from: string; to: string; label?: string }[] = [];
  for (const line of block.slice(1)) {
    const state = /^ {2}state "([^"]*)" as (\S+)$/.exec(line);
    const edge = /^ {2}(\S+) --> (\S+)(?: : (.*))?$/.exec(line);
    if (state) {
      expect(state[1]).toMatch(safeLabel);
      expect(state[2]).toMatch(plainId);
      expect(declared.has(state[2] ?? '')).toBe(false);
      declared.add(state[2] ?? '');
    } else if (edge) {
      const [, from = '', to = '', label] = edge;
      if (label !== undefined) expect(label).toMatch(safeLabel);
      edges.push({ from, to, ...(label !== undefined ? { label } : {}) });
    } else throw new Error(`unexpected state diagram line: ${JSON.stringify(line)}`);
  }
  for (const e of edges) {
    for (const end of [e.from, e.to]) if (end !== '[*]') expect(declared, `state ${end} is used but not declared`).toContain(end);
  }
  // Every state is on a path from the start to the end.
  const reach = (start: string, next: (s: string) => string[]): Set<string> => {
    const seen = new Set([start]);
    const todo = [start];
    for (let s = todo.pop(); s !== undefined; s = todo.pop()) for (const n of next(s)) if (!seen.has(n)) (seen.add(n), todo.push(n));
    return seen;
  };
  const forward = reach('[*]', (s) => edges.filter((e) => e.from === s).map((e) => e.to));
  const backward = reach('[*]', (s) => edges.filter((e) => e.to === s).map((e) => e.from));
  for (const s of declared) {
    expect(forward, `${s} is unreachable`).toContain(s);
    expect(backward, `${s} never ends`).toContain(s);
  }
  return { declared, edges };
}

/** Parses a flowchart block as this emitter writes it; every edge must name declared nodes. */
function parseFlowchart(block: readonly string[]): { nodes: Map<string, string>; edges: string[][] } {
  expect(block[0]).toBe('flowchart LR');
  const nodes = new Map<string, string>();
  const edges: string[][] = [];
  for (const line of block.slice(1)) {
    const node = /^ {2}([A-Za-z0-9_]+)(?:\[\[|\(\[|\(|\[\(|\{\{|>)"([^"]*)"(?:\]\]|\]\)|\)|\)\]|\}\}|\])$/.exec(line);
    const edge = /^ {2}(\S+) (-->|-\.->)(?:\|"([^"]*)"\|)? (\S+)$/.exec(line);
    if (node) {
      const [, id = '', label = ''] = node;
      expect(id).toMatch(plainId);
      expect(label).toMatch(safeLabel);
      expect(nodes.has(id)).toBe(false);
      nodes.set(id, label);
    } else if (edge) {
      const [, from = '', , label, to = ''] = edge;
      if (label !== undefined) expect(label).toMatch(safeLabel);
      edges.push([from, to, label ?? '']);
    } else throw new Error(`unexpected flowchart line: ${JSON.stringify(line)}`);
  }
  for (const [from, to] of edges) for (const end of [from, to]) if (!nodes.has(end ?? '')) throw new Error(`node ${end} is used but not declared`);
  return { nodes, edges };
}

/** Cells of a GFM table row: split at pipes not escaped by an odd run of backslashes. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = '';
  for (let i = 1; i < row.length - 1; i++) {
    const ch = row[i];
    if (ch === '\\') {
      cell += ch + (row[i + 1] ?? '');
      i++;
    } else if (ch === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  out.push(cell.trim());
  return out;
}

/** Every table in `text` (a run of `|` lines) has a separator row and as many cells in each row as in its header. */
function tablesAreRectangular(text: string): void {
  const tables = text.split(/\n(?!\|)/).map((chunk) => chunk.split('\n').filter((l) => l.startsWith('|'))).filter((rows) => rows.length > 0);
  expect(tables.length).toBeGreaterThan(0);
  for (const [header = '', separator = '', ...rows] of tables) {
    const width = cells(header).length;
    expect(separator).toBe(`|${'---|'.repeat(width)}`);
    for (const row of rows) {
      expect(row.endsWith('|'), row).toBe(true);
      expect(cells(row), row).toHaveLength(width);
    }
  }
}

describe('catalog.md of the orders example', () => {
  const m = ordersModel();
  const d = m.domains[0] as Domain;
  const text = catalog(d);

  it('is written beside the other outputs of the domain, with a banner', () => {
    expect([...emit(m).keys()]).toEqual(['orders/docs/catalog.md']);
    expect(text.startsWith('<!--\nCode generated by eventsmith from input.yaml. DO NOT EDIT.\n')).toBe(true);
    const named = emit(m, { ...defaultEmitOptions, specNames: new Map([['input.yaml', '../../events/orders.yaml']]) });
    expect(named.get('orders/docs/catalog.md')).toContain('from ../../events/orders.yaml. DO NOT EDIT.');
  });

  it('names every aggregate with its id type, topic, snapshots and state fields', () => {
    for (const a of d.aggregates) {
      expect(text).toContain(`\n## Aggregate ${a.name}\n`);
      for (const f of a.state) expect(text).toContain(`| \`${f.name}\` |`);
    }
    lines(text, ['| Id type (Kafka key) | `uuid` |', '| Topic | `orders` |', '| Snapshots | every 50 events |']);
    lines(text, ['| Id type (Kafka key) | `string` |', '| Topic | `inventory` |', '| Snapshots | none: every load replays the stream |']);
    lines(text, ['| `status` | `enum [draft, placed, confirmed, cancelled]` | `"draft"` |  |']);
    lines(text, ['| `items` | [`OrderItem[]`](#type-orderitem) | `[]` |  |']);
  });

  it('names every event, every version and every field, with CloudEvents type, dataschema and fingerprints', () => {
    for (const a of d.aggregates) {
      for (const e of a.events) {
        expect(text).toContain(`\n### Event ${e.name}\n`);
        expect(text).toContain(`| CloudEvents type | \`${e.ceType}\` |`);
        for (const v of e.versions) {
          const start = text.indexOf(`\n#### ${e.name} v${v.version}\n`);
          expect(start).toBeGreaterThan(0);
          const end = text.indexOf('\n#', start + 1);
          const own = text.slice(start, end < 0 ? undefined : end);
          const fp = fingerprintOf(avroSchemaOf(v, e, d));
          expect(own).toContain(`| dataschema | \`${dataschemaFor(e.ceType, v.version)}\` |`);
          expect(own).toContain(`| Fingerprint (CRC-64-AVRO) | \`${fp.crc64avro}\` |`);
          expect(own).toContain(`| Fingerprint (SHA-256) | \`${fp.sha256}\` |`);
          expect(own).toContain(`[\`${e.ceType}.v${v.version}.avsc\`](../avro/${e.ceType}.v${v.version}.avsc)`);
          for (const f of v.fields) expect(own).toMatch(new RegExp(`\\n\\| \`${f.name}\` \\| `));
        }
      }
    }
    lines(text, ['| `pspReference` | `string?` | `null` | The payment provider\'s reference |']);
  });

  it('shows each upcast: declarative ones field by field, custom ones by their hook', () => {
    lines(text, [
      '**Upcast from [v1](#orderplaced-v1)**: declarative; each field of v2, with `$.` reading v1:',
      '',
      '| Field | Value |',
      '|---|---|',
      '| `customerId` | `$.customerId` |',
      '| `items` | `$.items` |',
      '| `total` | `{ amount: $.amount, currency: "USD" }` |',
      '| `shippingAddress` | `null` |',
    ]);
    lines(text, ['**Upcast from [v1](#paymentdeclined-v1)**: custom, `upcastPaymentDeclinedV1ToV2` in [`orders/upcasters.ts`](../../../eventsmith/orders/upcasters.ts).']);
  });

  it('links every in-page reference to a heading that exists', () => {
    const anchors = new Set(
      text
        .split('\n')
        .filter((l) => /^#{1,4} /.test(l))
        .map((l) => l.replace(/^#+ /, '').toLowerCase().replace(/\s/g, '-')),
    );
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((x) => x[1]);
    expect(links.length).toBeGreaterThan(20);
    for (const l of links) expect(anchors, `#${l}`).toContain(l);
  });

  it('has tables that keep their shape', () => tablesAreRectangular(text));

  it('draws the event flow: aggregates → events → topics, and the saga steps', () => {
    const [flow] = mermaidBlocks(text);
    const { nodes, edges } = parseFlowchart(flow ?? []);
    for (const a of d.aggregates) {
      expect(nodes.get(`agg_${a.name}`)).toBe(a.name);
      for (const e of a.events) {
        expect(edges).toContainEqual([`agg_${a.name}`, `evt_${a.name}_${e.name}`, '']);
        expect(edges).toContainEqual([`evt_${a.name}_${e.name}`, `topic_${a.topic}`, '']);
      }
    }
    expect(edges).toContainEqual(['evt_Order_OrderPlaced', 'saga_PlaceOrder', 'starts']);
    expect(edges).toContainEqual(['saga_PlaceOrder', 'cmd_Inventory_ReserveStock', 'reserveStock']);
    expect(edges).toContainEqual(['cmd_Inventory_ReserveStock', 'evt_Inventory_StockReserved', 'succeeds']);
    expect(edges).toContainEqual(['cmd_Inventory_ReserveStock', 'evt_Inventory_StockReservationFailed', 'fails']);
    expect(edges).toContainEqual(['saga_PlaceOrder', 'cmd_Payment_RefundPayment', 'undo capturePayment']);
    expect(edges).toContainEqual(['saga_PlaceOrder', 'cmd_Order_CancelOrder', 'compensated']);
  });

  it('shows every command: in the contents, its aggregate, a section of its own, the flow and the saga steps', () => {
    for (const a of d.aggregates) {
      for (const c of a.commands) {
        expect(text).toContain(`### Command ${c.name}\n`);
        expect(text).toContain(`| CloudEvents type | \`${c.ceType}\` |`);
        expect(text).toContain(`| Emits | ${c.emits.map((e) => `[${e.name}](#event-${e.name.toLowerCase()})`).join(', ')} |`);
        expect(text).toContain(`#### ${c.name} v1\n`);
        if (c.doc !== undefined) expect(text).toContain(`### Command ${c.name}\n\n${c.doc.trim()}\n`);
      }
      expect(text).toContain(`| Commands | ${a.commands.map((c) => `[${c.name}](#command-${c.name.toLowerCase()})`).join(', ')} |`);
    }
    const { edges } = parseFlowchart(mermaidBlocks(text)[0] ?? []);
    expect(edges).toContainEqual(['cmd_Inventory_ReserveStock', 'agg_Inventory', 'decides']);
    expect(text).toContain('| 1 | `reserveStock` | [`Inventory.ReserveStock`](#command-reservestock) |');
  });

  it('draws the saga as a state machine', () => {
    const blocks = mermaidBlocks(text);
    expect(blocks).toHaveLength(2);
    const { declared } = parseStateDiagram(blocks[1] ?? []);
    expect([...declared]).toEqual(['step_reserveStock', 'step_capturePayment', 'undo_reserveStock', 'undo_capturePayment', 'completed', 'compensated', 'parked']);
  });

  it('is the same text every time', () => {
    expect(catalog(d)).toBe(text);
  });
});

describe('the saga state diagram', () => {
  it('moves forward on success; a failure undoes the earlier steps, a timeout the step itself too, newest first', () => {
    // Step b has no compensation: a failure of b or c undoes a only; a timeout of c undoes c, then a.
    const s = saga('Chain', [step('a', 1, true, 'PT1M'), step('b', 2, false), step('c', 3, true)], {
      timeout: dur('PT1H'),
      onCompleted: send('Work', 'Finish'),
      onCompensated: send('Work', 'Abandon'),
    });
    const diagram = sagaStateDiagram(s);
    const { declared, edges } = parseStateDiagram(diagram);
    expect([...declared]).toEqual(['step_a', 'step_b', 'step_c', 'undo_a', 'undo_c', 'completed', 'compensated']);
    expect(edges).toEqual([
      { from: '[*]', to: 'step_a', label: 'Work.Started' },
      { from: 'step_a', to: 'step_b', label: 'Work.Done1' },
      { from: 'step_a', to: 'compensated', label: 'Work.Failed1' },
      { from: 'step_a', to: 'undo_a', label: 'timeout PT1M' },
      { from: 'step_a', to: 'undo_a', label: 'saga timeout PT1H' },
      { from: 'step_b', to: 'step_c', label: 'Work.Done2' },
      { from: 'step_b', to: 'undo_a', label: 'Work.Failed2' },
      { from: 'step_b', to: 'undo_a', label: 'saga timeout PT1H' },
      { from: 'step_c', to: 'completed', label: 'Work.Done3' },
      { from: 'step_c', to: 'undo_a', label: 'Work.Failed3' },
      { from: 'step_c', to: 'undo_c', label: 'saga timeout PT1H' },
      { from: 'undo_c', to: 'undo_a', label: 'sent, not awaited' },
      { from: 'undo_a', to: 'compensated', label: 'sent, not awaited' },
      { from: 'completed', to: '[*]' },
      { from: 'compensated', to: '[*]' },
    ]);
    lines(diagram.join('\n'), ['  state "completed (sends Work.Finish)" as completed', '  state "compensated (sends Work.Abandon)" as compensated']);
  });

  it('chains every compensation before the failing step, newest first, and draws only reachable ones', () => {
    const { edges } = parseStateDiagram(sagaStateDiagram(saga('Long', [step('a', 1, true), step('b', 2, true), step('c', 3, true), step('d', 4, true)])));
    expect(edges.filter((e) => e.from.startsWith('undo_'))).toEqual([
      { from: 'undo_c', to: 'undo_b', label: 'sent, not awaited' },
      { from: 'undo_b', to: 'undo_a', label: 'sent, not awaited' },
      { from: 'undo_a', to: 'compensated', label: 'sent, not awaited' },
    ]);
    expect(edges).toContainEqual({ from: 'step_d', to: 'undo_c', label: 'Work.Failed4' });
    // Without timeouts nothing reaches the last step's compensation.
    expect(edges.some((e) => e.to === 'undo_d')).toBe(false);
  });

  it('a compensation awaited: its answer moves on; a failure answer, or silence past a deadline, on every send parks the saga', () => {
    const a = step('a', 1, true, 'PT1M');
    const awaited: SagaStep = { ...a, compensation: { kind: 'compensation', send: send('Work', 'Undo1'), succeedsOn: [ev('Work', 'Undone1')], failsOn: [ev('Work', 'UndoFailed1')], loc } };
    const s = saga('Park', [awaited, step('b', 2, false)], { retry: { kind: 'retry', maxAttempts: 4, backoff: dur('PT1S') } });
    const { declared, edges } = parseStateDiagram(sagaStateDiagram(s));
    expect(declared.has('parked')).toBe(true);
    expect(edges.filter((e) => e.from === 'undo_a')).toEqual([
      { from: 'undo_a', to: 'compensated', label: 'Work.Undone1' },
      { from: 'undo_a', to: 'parked', label: 'Work.UndoFailed1 after 4 sends' },
      { from: 'undo_a', to: 'parked', label: 'no answer after 4 sends' },
    ]);
    expect(edges).toContainEqual({ from: 'parked', to: 'compensated', label: 'resumeParkedSaga' });
  });

  it('keeps ids plain and distinct for names Mermaid would misread', () => {
    // Names the resolver refuses: the diagram must still parse if one ever got through.
    const odd = saga('Odd', [step('end', 1, true), step('a-b', 2, true), step('a_b', 3, false), step('x:y;%%z', 4, false)], {
      startedBy: ev('Work', 'Say "hi" #1'),
    });
    const { declared, edges } = parseStateDiagram(sagaStateDiagram(odd));
    expect(declared.size).toBe(8);
    expect(declared).toContain('step_end');
    expect(declared).toContain('step_a_b');
    expect(declared).toContain('step_a_b_2');
    expect(edges[0]?.label).toBe('Work.Say #34;hi#34; #35;1');
  });
});

describe('escaping', () => {
  it('mermaidText leaves no character a Mermaid lexer reads as syntax', () => {
    expect(mermaidText('a "b" #c; d:e %%f <g> & `h` |i| {j} [k]')).toMatch(safeLabel);
    expect(mermaidText('line\nbreak')).toBe('line break');
    expect(mermaidText('direction LR')).toBe('directio#110; LR');
  });

  it('MermaidIds keeps one id per key and tells apart names that differ only in replaced characters', () => {
    const ids = new MermaidIds();
    expect(ids.id('topic', 'a.b')).toBe('topic_a_b');
    expect(ids.id('topic', 'a-b')).toBe('topic_a_b_2');
    expect(ids.id('topic', 'a.b')).toBe('topic_a_b');
    expect(ids.id('evt', 'A', 'B_C')).toBe('evt_A_B_C');
    expect(ids.id('evt', 'A_B', 'C')).toBe('evt_A_B_C_2');
  });

  it('mdCode fences backticks and moves pipes and line breaks into <code>', () => {
    expect(mdCode('a')).toBe('`a`');
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`a')).toBe('`` `a ``');
    expect(mdCode('a|b')).toBe('<code>a&#124;b</code>');
    expect(mdCode('a\nb<i>')).toBe('<code>a&#10;b&#60;i&#62;</code>');
    expect(mdCode('')).toBe('<code></code>');
  });

  it('mdCell keeps a cell one cell whatever backslashes precede a pipe', () => {
    expect(mdCell('a | b')).toBe('a \\| b');
    expect(mdCell('a \\| b')).toBe('a \\| b');
    expect(mdCell('a \\\\| b')).toBe('a \\\\\\| b');
    expect(mdCell('one\n\ntwo\r\nthree')).toBe('one two three');
    expect(mdCell('  plain text, a \\ backslash\t ')).toBe('plain text, a \\ backslash');
    for (const text of ['a | b', 'a \\| b', 'a \\\\| b', '|', '\\|\\\\|']) {
      expect(cells(mdTable(['x', 'y'], [[text, 'z']]).split('\n')[2] ?? '')).toHaveLength(2);
    }
  });
});

describe('catalog.md of an odd spec', () => {
  // Every free-text place holds Markdown and Mermaid syntax; names hold what the resolver refuses.
  const d = 'com.acme.odd';
  const reason = field('reason', t.prim('string'), { default: 'a | b `c` \\| d\nnext', doc: 'Pipes | and\nlines\\|' });
  const oddEvent = evolvingEvent('Order"X', 'end', [{ fields: [reason] }, { fields: [reason], upcast: declarative([assign(reason, { kind: 'literal', value: 'x|y' })]) }], custom);
  const odd: Domain = {
    ...domain(d, [], [{ ...aggregate('Order"X', t.prim('string'), [], [oddEvent]), topic: 'a;b%%c' }], { doc: '# not a heading?\nA *doc*.' }),
    sagas: [saga('Odd Saga', [{ ...step('end', 1, true), succeedsOn: [oddEvent] }, step('next', 2, false)])],
  };
  const text = catalog(odd);

  it('keeps tables rectangular and Mermaid blocks well-formed', () => {
    tablesAreRectangular(text);
    const [flow, states] = mermaidBlocks(text);
    const { nodes, edges } = parseFlowchart(flow ?? []);
    expect(nodes.get('topic_a_b__c')).toBe('a#59;b#37;#37;c');
    expect(edges).toContainEqual(['agg_Order_X', 'evt_Order_X_end', '']);
    expect(edges).toContainEqual(['cmd_Work_Do1', 'evt_Order_X_end', 'succeeds']);
    parseStateDiagram(states ?? []);
  });

  it('quotes defaults and literals so they show exactly', () => {
    expect(text).toContain('<code>&#34;a &#124; b &#96;c&#96; &#92;&#92;&#124; d&#92;nnext&#34;</code>');
    expect(text).toContain('| `reason` | <code>&#34;x&#124;y&#34;</code> |');
    expect(text).toContain('Pipes \\| and lines\\|');
  });
});

describe('catalog.md across domains', () => {
  it('links a saga to an event of another domain in that domain’s catalog', () => {
    const other = domain('com.acme.stock', [], [aggregate('Stock', t.logical('uuid'), [], [event('com.acme.stock', 'Stock', 'StockReserved', [{ fields: [] }])])]);
    const reserved = other.aggregates[0]?.events[0];
    const orders = ordersDomain();
    const withSaga: Domain = {
      ...orders,
      sagas: [saga('Reserve', [{ ...step('reserve', 1, false), succeedsOn: reserved ? [reserved] : [] }])],
    };
    const text = catalog(withSaga, other);
    expect(text).toContain('[`Stock.StockReserved`](../../stock/docs/catalog.md#event-stockreserved)');
    const { nodes } = parseFlowchart(mermaidBlocks(text)[0] ?? []);
    expect(nodes.get('evt_Stock_StockReserved')).toBe('Stock.StockReserved');
    expect(emit(model(withSaga, other)).size).toBe(2);
  });
});

describe('catalog.md with reactions', () => {
  const spec = `domain: com.example.shop
source: urn:example:shop
aggregates:
  Order:
    events:
      OrderCancelled:
        versions: [ { fields: { reason: string, items: "string[]" } } ]
  Inventory:
    id: string
    events:
      StockReleased:
        versions: [ { fields: { reason: string } } ]
    commands:
      ReleaseStock:
        doc: Give the units back.
        versions: [ { fields: { reason: string, first: string } } ]
        emits: [StockReleased]
reactions:
  - on: Order.OrderCancelled
    doc: Cancelled orders free their stock.
    send: Inventory.ReleaseStock
    to: main
    data: { reason: $.reason, first: "$.items[0]" }
`;
  const result = analyse([{ file: 'shop.yaml', text: spec }]);
  const d = result.model?.domains[0] as Domain;
  const text = catalog(d);

  it('lists each reaction with its event, command, target, data and doc, linked to their sections', () => {
    expect(result.diagnostics).toEqual([]);
    expect(text).toContain('[Reactions](#reactions)');
    expect(text).toContain(
      '| `orderCancelledSendsReleaseStock` | [`Order.OrderCancelled`](#event-ordercancelled) | [`Inventory.ReleaseStock`](#command-releasestock) | `"main"` | `reason: $.reason`, `first: $.items[0]` | Cancelled orders free their stock. |',
    );
    tablesAreRectangular(text);
  });

  it('draws the reaction between its event and its command, and the command into its aggregate', () => {
    const { nodes, edges } = parseFlowchart(mermaidBlocks(text)[0] ?? []);
    expect(nodes.get('reaction_orderCancelledSendsReleaseStock')).toBe('orderCancelledSendsReleaseStock');
    expect(edges).toContainEqual(['evt_Order_OrderCancelled', 'reaction_orderCancelledSendsReleaseStock', 'on']);
    expect(edges).toContainEqual(['reaction_orderCancelledSendsReleaseStock', 'cmd_Inventory_ReleaseStock', 'sends']);
    expect(edges).toContainEqual(['cmd_Inventory_ReleaseStock', 'agg_Inventory', 'decides']);
    expect(text).toContain('### Command ReleaseStock\n\nGive the units back.\n');
  });
});
