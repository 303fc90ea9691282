// The upcasters emitter on small hand-built models: exact lines of each step form, the chain,
// the per-aggregate function, the user-owned file of custom steps, and the version-graph checks.
import { describe, expect, it } from 'vitest';
import type { Domain, Expr, Field } from '../../generator/core/model.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { emitUpcasters, upcastSteps } from '../../generator/emit/upcasters.js';
import { assign, custom, declarative, evolutionTemplates, evolvingEvent, lines } from './evolution-fixtures.js';
import { aggregate, domain, field, model, record, t } from './model-fixtures.js';

const templates = evolutionTemplates();
const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD' })]);
const ref = (path: string, type: Field['type']): Expr => ({ kind: 'ref', path: path.split('.'), type });

function emit(d: Domain): Map<string, { content: string; userOwned: boolean }> {
  const files = emitUpcasters({ model: model(d), templates, options: defaultEmitOptions });
  // The user-owned file's path is relative to the custom folder: it may equal a generated one's.
  return new Map(files.map((f) => [f.userOwned ? `${f.path} (user-owned)` : f.path, { content: f.content, userOwned: f.userOwned === true }]));
}

function upcastersOf(d: Domain): string {
  return emit(d).get('t/upcasters.ts')?.content ?? '';
}

// v1 { holder, n, amount } → v2 by declarative rules, one per form.
const v1 = [field('holder', t.prim('string')), field('n', t.prim('int')), field('amount', t.decimal(12, 2))];
const owner = field('owner', t.prim('string'));
const big = field('big', t.prim('long'));
const origin = field('origin', t.prim('string'));
const channel = field('channel', t.prim('string'), { default: 'web' });
const total = field('total', t.named(money));
const note = field('note', t.opt(t.prim('string')));
const opened = evolvingEvent('Account', 'AccountOpened', [
  { fields: v1 },
  {
    fields: [owner, big, origin, channel, total, note],
    upcast: declarative([
      assign(owner, ref('holder', t.prim('string'))),
      assign(big, ref('n', t.prim('int'))),
      assign(origin, { kind: 'literal', value: 'legacy' }),
      assign(channel, { kind: 'literal', value: 'web' }),
      assign(total, { kind: 'object', fields: [{ name: 'amount', expr: ref('amount', t.decimal(12, 2)) }, { name: 'currency', expr: { kind: 'literal', value: 'USD' } }] }),
      assign(note, { kind: 'literal', value: null }),
    ]),
  },
  { fields: [owner, big], upcast: declarative([assign(owner, ref('owner', t.prim('string'))), assign(big, ref('big', t.prim('long')))]) },
]);
const closed = evolvingEvent('Account', 'AccountClosed', [{ fields: [field('reason', t.prim('string'))] }, { fields: [field('code', t.prim('int'))], upcast: custom }]);
const noted = evolvingEvent('Account', 'Noted', [{ fields: [field('text', t.prim('string'))] }]);

const accounts = domain('com.example.t', [money], [aggregate('Account', t.logical('uuid'), [], [opened, closed, noted])]);

describe('upcasters.ts', () => {
  const text = upcastersOf(accounts);

  it('a declarative step: rename, int → long, constant, default, nested construction, null', () => {
    lines(text, [
      'export function upcastAccountOpenedV1ToV2(v1: AccountOpenedV1): AccountOpenedV2 {',
      '  return {',
      '    owner: v1.holder,',
      '    big: BigInt(v1.n),',
      "    origin: 'legacy',",
      "    channel: 'web',",
      "    total: { amount: v1.amount, currency: 'USD' },",
      '    note: null,',
      '  };',
      '}',
    ]);
  });

  it('a chain of three versions, one step at a time', () => {
    lines(text, [
      'const accountOpenedUpcasts: {',
      '  readonly [V in keyof AccountOpenedVersions]: (data: AccountOpenedVersions[V]) => AccountOpened;',
      '} = {',
      '  1: (data) => accountOpenedUpcasts[2](upcastAccountOpenedV1ToV2(data)),',
      '  2: (data) => accountOpenedUpcasts[3](upcastAccountOpenedV2ToV3(data)),',
      '  3: (data) => data,',
      '};',
    ]);
    lines(text, [
      'export function upcastAccountOpened<V extends keyof AccountOpenedVersions>(',
      '  version: V,',
      '  data: AccountOpenedVersions[V],',
      '): AccountOpened {',
      '  if (!Object.prototype.hasOwnProperty.call(accountOpenedUpcasts, version)) {',
      '    throw new RangeError(`AccountOpened has no version ${String(version)}`);',
      '  }',
      '  return accountOpenedUpcasts[version](data);',
      '}',
    ]);
  });

  it('a custom step is imported from the user-owned file and re-checked at the import site', () => {
    lines(text, ["import { upcastAccountClosedV1ToV2 } from '../../eventsmith/t/upcasters.js';"]);
    // Too long for one line: the value moves to the next.
    lines(text, ['const checkedUpcastAccountClosedV1ToV2: (v1: AccountClosedV1) => AccountClosedV2 =', '  upcastAccountClosedV1ToV2;']);
    lines(text, ['  1: (data) => accountClosedUpcasts[2](checkedUpcastAccountClosedV1ToV2(data)),']);
    expect(text).not.toContain('export function upcastAccountClosedV1ToV2');
  });

  it('per aggregate: every event type, chains only where there are several versions', () => {
    lines(text, ['export function upcastAccountEvent(event: AccountEventAnyVersion): AccountEvent {']);
    lines(text, [
      '  const { type, dataVersion, data } = event;',
      '  switch (type) {',
      "    case 'com.example.t.account.opened':",
      '      return { type, data: upcastAccountOpened(dataVersion, data) };',
      "    case 'com.example.t.account.closed':",
      '      return { type, data: upcastAccountClosed(dataVersion, data) };',
      "    case 'com.example.t.account.noted':",
      '      return { type, data };',
      '    default: {',
      '      const unhandled: unknown = type satisfies never;',
      '      throw new TypeError(`upcastAccountEvent: unknown event type ${String(unhandled)}`);',
      '    }',
      '  }',
      '}',
    ]);
    expect(text).not.toContain('upcastNoted');
  });

  it('imports only types it prints, in one sorted block', () => {
    lines(text, [
      "import { upcastAccountClosedV1ToV2 } from '../../eventsmith/t/upcasters.js';",
      'import type {',
      '  AccountClosed,',
      '  AccountClosedV1,',
    ]);
    expect(text).not.toMatch(/\bMoney\b/);
  });

  it('a step that reads nothing marks its parameter unused', () => {
    const e = evolvingEvent('Account', 'Reset', [{ fields: [] }, { fields: [channel], upcast: declarative([assign(channel, { kind: 'literal', value: 'web' })]) }]);
    const out = upcastersOf(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [], [e])]));
    lines(out, ['export function upcastResetV1ToV2(_v1: ResetV1): ResetV2 {', '  return {', "    channel: 'web',", '  };']);
    lines(out, ['  const { type, dataVersion, data } = event;']);
  });

  it('an aggregate of single-version events destructures no dataVersion', () => {
    const out = upcastersOf(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [], [noted])]));
    lines(out, ['  const { type, data } = event;', '  switch (type) {', "    case 'com.example.t.account.noted':", '      return { type, data };']);
  });
});

describe('the user-owned upcasters.ts', () => {
  it('is user-owned, with a stub per custom step that does not compile until filled', () => {
    const file = emit(accounts).get('t/upcasters.ts (user-owned)');
    expect(file?.userOwned).toBe(true);
    const text = file?.content ?? '';
    expect(text).toMatch(/^\/\/ Custom upcasters of the `com\.example\.t` domain/);
    expect(text).toContain('//   export function upcast<Event>V<n>ToV<n+1>(v<n>: <Event>V<n>): <Event>V<n+1> { … }');
    expect(text).not.toContain('DO NOT EDIT');
    lines(text, [
      "import type { AccountClosedV1, AccountClosedV2 } from '../../generated/t/types.js';",
      '',
      '// TODO: implement; until this returns the version 2 data, the project does not compile.',
      '/** `com.example.t.account.closed` version 1 → 2 (`upcast: custom` in the spec). */',
      'export function upcastAccountClosedV1ToV2(v1: AccountClosedV1): AccountClosedV2 {',
      '}',
    ]);
  });

  it('is not written when no step is custom', () => {
    const files = emit(domain('com.example.t', [money], [aggregate('Account', t.logical('uuid'), [], [opened, noted])]));
    expect([...files.keys()]).toEqual(['t/upcasters.ts']);
  });
});

describe('the version graph', () => {
  it('lists each step with its upcast', () => {
    expect(upcastSteps(opened).map((s) => [s.from.version, s.to.version, s.upcast.kind])).toEqual([
      [1, 2, 'declarative'],
      [2, 3, 'declarative'],
    ]);
  });

  it('refuses a gap, a missing upcast, an upcast on version 1 and a field without a rule', () => {
    const [first, second] = opened.versions;
    if (!first || !second) throw new Error('fixture');
    expect(() => upcastSteps({ ...opened, versions: [first, { ...second, version: 3 }] })).toThrow(/versions must be 1\.\.n without gaps/);
    const { upcast: _u, ...bare } = second;
    expect(() => upcastSteps({ ...opened, versions: [first, bare] })).toThrow(/no upcast from version 1 to 2/);
    expect(() => upcastSteps({ ...opened, versions: [{ ...first, upcast: custom }] })).toThrow(/version 1 has an upcast/);
    const partial = { ...second, upcast: declarative([assign(owner, ref('holder', t.prim('string')))]) };
    expect(() => upcastSteps({ ...opened, versions: [first, partial] })).toThrow(/does not assign each field once \(missing: big, origin, channel, total, note\)/);
  });
});
