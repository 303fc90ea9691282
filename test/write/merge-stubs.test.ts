// Adding the stubs of new custom hooks to an existing user-owned file (write/merge-stubs.ts):
// exact outputs, so any byte of the user's text that moves or changes fails the test; signature
// drift reported at the user's line:col and never rewritten; a file that does not parse refused.
import * as tsMorph from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { mergeStubs } from '../../generator/write/merge-stubs.js';

const merge = (user: string, fresh: string) => mergeStubs(tsMorph, { user, fresh, file: 'src/eventsmith/shop/reducers.ts', checkedIn: 'src/generated/shop/reducers.ts' });

/** What generate would write today: two hooks, the second new in the spec. */
const fresh = `// Custom reducers (header).

import type { CartState, ItemAdded, ItemRemoved } from '../../generated/shop/types.js';

// TODO: implement; until this returns the new state, the project does not compile.
/** Cart state after \`added\`. */
export function applyItemAdded(state: CartState, data: ItemAdded): CartState {
}

// TODO: implement; until this returns the new state, the project does not compile.
/** Cart state after \`removed\`. */
export function applyItemRemoved(state: CartState, data: ItemRemoved): CartState {
}
`;

const newStub = `// TODO: implement; until this returns the new state, the project does not compile.
/** Cart state after \`removed\`. */
export function applyItemRemoved(state: CartState, data: ItemRemoved): CartState {
}
`;

/** The user's file: the first hook filled in, in the user's own odd layout. */
const user = `// my notes
import type {CartState,ItemAdded} from '../../generated/shop/types.js'   // no semicolon, on purpose
import { clamp } from '../../lib/math.js';

export function applyItemAdded(  state :CartState,
    data: ItemAdded ): CartState {
\treturn { ...state, total: clamp(state.total + data.quantity) }; // tabs stay
}

const helper = 1; /* trailing */
`;

describe('mergeStubs: a hook the spec gained', () => {
  it('adds the function at the end and its type to the import, every other byte as it was', () => {
    const r = merge(user, fresh);
    expect(r.added).toEqual(['applyItemRemoved']);
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(user.replace('{CartState,ItemAdded}', '{CartState,ItemAdded, ItemRemoved}') + '\n' + newStub);
  });

  it('is idempotent and deterministic: merging its own result adds nothing', () => {
    const once = merge(user, fresh).text;
    expect(merge(user, fresh).text).toBe(once);
    const twice = merge(once, fresh);
    expect(twice.added).toEqual([]);
    expect(twice.text).toBe(once);
  });

  it('a one-per-line import list with a trailing comma keeps that layout', () => {
    const u = `import type {\n  CartState,\n  ItemAdded,\n} from '../../generated/shop/types.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n`;
    expect(merge(u, fresh).text).toBe(u.replace('  ItemAdded,\n}', '  ItemAdded,\n  ItemRemoved,\n}') + '\n' + newStub);
  });

  it('a one-per-line list without a trailing comma', () => {
    const u = `import type {\n    CartState,\n    ItemAdded\n} from '../../generated/shop/types.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n`;
    expect(merge(u, fresh).text).toBe(u.replace('    ItemAdded\n}', '    ItemAdded,\n    ItemRemoved\n}') + '\n' + newStub);
  });

  it('a value import of the module gets `type Name`; no import of it at all gets a new declaration after the last import', () => {
    const value = `import { type CartState, type ItemAdded } from '../../generated/shop/types.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n`;
    expect(merge(value, fresh).text).toBe(value.replace('type ItemAdded }', 'type ItemAdded, type ItemRemoved }') + '\n' + newStub);
    const elsewhere = `import type { CartState, ItemAdded } from '../elsewhere.js';\nimport { x } from './x.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return x(state, data);\n}\n`;
    expect(merge(elsewhere, fresh).text).toBe(
      elsewhere.replace("import { x } from './x.js';", "import { x } from './x.js';\nimport type { ItemRemoved } from '../../generated/shop/types.js';") + '\n' + newStub,
    );
  });

  it('a file with no imports and no final newline', () => {
    const u = '// nothing yet';
    expect(merge(u, fresh).text).toBe(`// nothing yet\nimport type { CartState, ItemAdded, ItemRemoved } from '../../generated/shop/types.js';\n\n${fresh.slice(fresh.indexOf('// TODO'))}`);
  });

  it('keeps CRLF line ends', () => {
    const u = user.replace(/\n/g, '\r\n');
    const r = merge(u, fresh);
    expect(r.text).toBe(u.replace('{CartState,ItemAdded}', '{CartState,ItemAdded, ItemRemoved}') + '\r\n' + newStub.replace(/\n/g, '\r\n'));
  });

  it('a namespace the stub reads types through is imported when the file lacks it, not twice', () => {
    const sagaFresh = `import type { SagaFailure } from 'eventsmith/runtime';\nimport type * as types from '../../generated/shop/types.js';\n\n/** a */\nexport function aData(ctx: unknown): types.Hold {\n}\n\n/** b */\nexport function bData(failure: SagaFailure): types.Close {\n}\n`;
    const has = `import type * as types from '../../generated/shop/types.js';\n\nexport function aData(_ctx: unknown): types.Hold {\n  return { qty: 1 };\n}\n`;
    expect(merge(has, sagaFresh).text).toBe(
      has.replace("types.js';\n", "types.js';\nimport type { SagaFailure } from 'eventsmith/runtime';\n") + '\n/** b */\nexport function bData(failure: SagaFailure): types.Close {\n}\n',
    );
    const lacks = `export function aData(): unknown {\n  return 1;\n}\n`;
    expect(merge(lacks, sagaFresh).text).toBe(
      "import type { SagaFailure } from 'eventsmith/runtime';\nimport type * as types from '../../generated/shop/types.js';\n\n" + lacks + '\n/** b */\nexport function bData(failure: SagaFailure): types.Close {\n}\n',
    );
  });

  it('a name the user already binds (imported from elsewhere, or declared) is not imported again', () => {
    const u = `import type { CartState, ItemAdded } from '../../generated/shop/types.js';\ntype ItemRemoved = { sku: string };\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n`;
    expect(merge(u, fresh).text).toBe(`${u}\n${newStub}`);
  });

  it('a hook exported as a const arrow function, or re-exported, counts as present', () => {
    const arrow = `import type { CartState, ItemAdded, ItemRemoved } from '../../generated/shop/types.js';\nexport function applyItemAdded(s: CartState, _d: ItemAdded): CartState { return s; }\nexport const applyItemRemoved = (s: CartState, _d: ItemRemoved): CartState => s;\n`;
    expect(merge(arrow, fresh)).toEqual({ text: arrow, added: [], diagnostics: [] });
    const reexport = `export { applyItemAdded, removed as applyItemRemoved } from './impl.js';\n`;
    expect(merge(reexport, fresh)).toEqual({ text: reexport, added: [], diagnostics: [] });
    // `export *` may provide it: only the compiler can tell, so nothing is added.
    const star = `export * from './impl.js';\n`;
    expect(merge(star, fresh).text).toBe(star);
  });
});

describe('mergeStubs: what it leaves to the user', () => {
  it('a parameter whose type drifted: a warning at that type, the file untouched', () => {
    const u = `import type { CartState, ItemAdded, ItemRemoved } from '../../generated/shop/types.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n\nexport function applyItemRemoved(state: CartState, data: ItemAdded): CartState {\n  return state;\n}\n`;
    const r = merge(u, fresh);
    expect(r.text).toBe(u);
    expect(r.added).toEqual([]);
    expect(r.diagnostics).toEqual([
      {
        code: 'ES4012',
        severity: 'warning',
        file: 'src/eventsmith/shop/reducers.ts',
        line: 7,
        col: 58,
        path: '',
        message:
          'applyItemRemoved no longer matches the spec: parameter data is ItemAdded, the spec passes ItemRemoved; generate leaves your code as it is, so change it to (state: CartState, data: ItemRemoved): CartState (src/generated/shop/reducers.ts re-checks it)',
      },
    ]);
  });

  it('more parameters than the spec passes, or another return type, are reported; fewer parameters, layout and namespaces are not', () => {
    const more = `import type { CartState, ItemAdded } from '../../generated/shop/types.js';\nexport function applyItemAdded(state: CartState, data: ItemAdded, extra: number): CartState {\n  return state;\n}\n`;
    expect(merge(more, fresh).diagnostics.map((d) => [d.code, d.line, d.col, d.message.split(';')[0]])).toEqual([
      ['ES4012', 2, 67, 'applyItemAdded no longer matches the spec: it takes 3 parameters, the spec passes 2'],
    ]);
    const ret = `import type { CartState, ItemAdded } from '../../generated/shop/types.js';\nexport function applyItemAdded(state: CartState, data: ItemAdded): ItemAdded {\n  return data;\n}\n`;
    expect(merge(ret, fresh).diagnostics.map((d) => [d.line, d.col, d.message.split(';')[0]])).toEqual([
      [2, 68, 'applyItemAdded no longer matches the spec: it returns ItemAdded, the spec expects CartState'],
    ]);
    const fine = `import type * as t from '../../generated/shop/types.js';\nexport function applyItemAdded(state: t.CartState): t.CartState {\n  return state;\n}\nexport function applyItemRemoved(\n  state: t.CartState,\n  data: t.ItemRemoved,\n): t.CartState {\n  return state;\n}\n`;
    expect(merge(fine, fresh).diagnostics).toEqual([]);
  });

  it('a hook declared but not exported: a warning, and no second declaration', () => {
    const u = `import type { CartState, ItemAdded, ItemRemoved } from '../../generated/shop/types.js';\nexport function applyItemAdded(s: CartState, _d: ItemAdded): CartState { return s; }\nfunction applyItemRemoved(s: CartState, _d: ItemRemoved): CartState { return s; }\n`;
    const r = merge(u, fresh);
    expect(r.text).toBe(u);
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.line, d.col])).toEqual([['ES4012', 'warning', 3, 1]]);
    expect(r.diagnostics[0]?.message).toContain('applyItemRemoved is declared here but not exported');
  });

  it('a file that needs a stub and does not parse: an error at the syntax error, nothing changed', () => {
    const u = `import type { CartState, ItemAdded } from '../../generated/shop/types.js';\n\nexport function applyItemAdded(state: CartState, data: ItemAdded): CartState {\n  return { ...state,\n}\n`;
    const r = merge(u, fresh);
    expect(r.text).toBe(u);
    expect(r.added).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'ES4011', severity: 'error', file: 'src/eventsmith/shop/reducers.ts', line: 6 });
    expect(r.diagnostics[0]?.message).toMatch(/generate must add applyItemRemoved to this file and adds nothing to a file that does not parse/);
  });

  it('a file that does not parse but lacks nothing is the compiler’s business, not generate’s', () => {
    const u = `export function applyItemAdded() { return 1 +; }\nexport function applyItemRemoved() {}\n`;
    expect(merge(u, fresh).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
