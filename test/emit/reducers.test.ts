// The reducers emitter on small hand-built models: the initial state from defaults, each apply
// rule form, the exhaustive switch, custom handlers from the user-owned file.
import { describe, expect, it } from 'vitest';
import type { Domain, Expr, Field, Value } from '../../generator/core/model.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { emitReducers } from '../../generator/emit/reducers.js';
import { assign, custom, declarative, evolutionTemplates, evolvingEvent, lines } from './evolution-fixtures.js';
import { aggregate, domain, field, inlineEnum, model, record, t } from './model-fixtures.js';

const templates = evolutionTemplates();
const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD' })]);
const ref = (path: string, type: Field['type']): Expr => ({ kind: 'ref', path: path.split('.'), type });
function lit(value: Value): Expr {
  return { kind: 'literal', value };
}

function emit(d: Domain): Map<string, { content: string; userOwned: boolean }> {
  const files = emitReducers({ model: model(d), templates, options: defaultEmitOptions });
  // The user-owned file's path is relative to the custom folder: it may equal a generated one's.
  return new Map(files.map((f) => [f.userOwned ? `${f.path} (user-owned)` : f.path, { content: f.content, userOwned: f.userOwned === true }]));
}

const nullProto = (): Record<string, number> => Object.create(null) as Record<string, number>;

const status = field('status', inlineEnum('AccountState', 'status', ['new', 'open', 'closed']), { default: 'new' });
const owner = field('owner', t.opt(t.prim('string')), { default: null });
const balance = field('balance', t.decimal(14, 2), { default: '0.00' });
const deposits = field('deposits', t.prim('long'), { default: 0n });
const count = field('count', t.prim('int'), { default: 0 });
const ratio = field('ratio', t.prim('double'), { default: 0 });
const tags = field('tags', t.array(t.prim('string')), { default: [] });
const amounts = field('amounts', t.array(t.prim('long')), { default: [] });
const openedAt = field('openedAt', t.logical('timestamp-millis'), { default: 1706702400000 });
const limits = field('limits', t.map(t.prim('int')), { default: nullProto() });
const price = field('price', t.opt(t.named(money)), { default: null });
const state = [status, owner, balance, deposits, count, ratio, tags, amounts, openedAt, limits, price];

const openedFields = [field('holder', t.prim('string')), field('amount', t.decimal(12, 2)), field('n', t.prim('int')), field('labels', t.array(t.prim('string'))), field('big', t.prim('long'))];
const opened = evolvingEvent(
  'Account',
  'AccountOpened',
  [{ fields: openedFields }],
  declarative([
    assign(status, lit('open')),
    assign(owner, ref('holder', t.prim('string'))),
    assign(balance, ref('amount', t.decimal(12, 2)), 'increment'),
    assign(deposits, ref('n', t.prim('int')), 'increment'),
    assign(count, lit(1), 'increment'),
    assign(ratio, lit(0.5), 'increment'),
    assign(tags, ref('holder', t.prim('string')), 'append', false),
    assign(tags, ref('labels', t.array(t.prim('string'))), 'append', true),
    assign(amounts, lit([1n, 2n]), 'append', true),
    assign(amounts, ref('big', t.prim('long')), 'append', false),
    assign(price, { kind: 'object', fields: [{ name: 'amount', expr: ref('amount', t.decimal(12, 2)) }, { name: 'currency', expr: lit('EUR') }] }),
  ]),
);
const closed = evolvingEvent('Account', 'AccountClosed', [{ fields: [] }], declarative([assign(status, lit('closed')), assign(limits, lit(nullProto()))]));
const frozen = evolvingEvent('Account', 'AccountFrozen', [{ fields: [field('why', t.prim('string'))] }], custom);
const noted = evolvingEvent('Account', 'Noted', [{ fields: [field('text', t.prim('string'))] }]);
const accounts = domain('com.example.t', [money], [aggregate('Account', t.logical('uuid'), state, [opened, closed, frozen, noted])]);

describe('reducers.ts', () => {
  const text = emit(accounts).get('t/reducers.ts')?.content ?? '';

  it('the initial state is every field default, in the TypeScript mapping', () => {
    lines(text, [
      'export const initialAccountState: AccountState = {',
      "  status: 'new',",
      '  owner: null,',
      "  balance: '0.00',",
      '  deposits: 0n,',
      '  count: 0,',
      '  ratio: 0,',
      '  tags: [],',
      '  amounts: [],',
      '  openedAt: new Date(1706702400000),',
      '  limits: {},',
      '  price: null,',
      '};',
    ]);
  });

  // Two rules on one field only show both append forms side by side; a spec's mapping cannot repeat a key.
  it('each rule form: set, increment (int, long, decimal, double), append (element, list, literal list), construction', () => {
    lines(text, [
      'function applyAccountOpened(state: AccountState, data: AccountOpened): AccountState {',
      '  return {',
      '    ...state,',
      "    status: 'open',",
      '    owner: data.holder,',
      '    balance: addDecimal(state.balance, data.amount, 2),',
      '    deposits: state.deposits + BigInt(data.n),',
      '    count: state.count + 1,',
      '    ratio: state.ratio + 0.5,',
      '    tags: [...state.tags, data.holder],',
      '    tags: [...state.tags, ...data.labels],',
      '    amounts: [...state.amounts, 1n, 2n],',
      '    amounts: [...state.amounts, data.big],',
      "    price: { amount: data.amount, currency: 'EUR' },",
      '  };',
      '}',
    ]);
    lines(text, ["import { addDecimal } from 'eventsmith/runtime';"]);
  });

  it('rules that read nothing mark the data unused', () => {
    lines(text, ['function applyAccountClosed(state: AccountState, _data: AccountClosed): AccountState {']);
    lines(text, ["    status: 'closed',", '    limits: {},']);
  });

  it('a custom handler is imported from the user-owned file and re-checked at the import site', () => {
    lines(text, ["import { applyAccountFrozen } from '../../eventsmith/t/reducers.js';"]);
    lines(text, ['const checkedApplyAccountFrozen: (state: AccountState, data: AccountFrozen) => AccountState =', '  applyAccountFrozen;']);
  });

  it('evolve: an exhaustive switch over the latest versions; a fold over many', () => {
    lines(text, [
      'export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {',
      '  // Destructured, `type` narrows `data` in each case, and is `never` in the default even when the',
      '  // aggregate has one event: an event added without a case does not compile.',
      '  const { type, data } = event;',
      '  switch (type) {',
      "    case 'com.example.t.account.opened':",
      '      return applyAccountOpened(state, data);',
      "    case 'com.example.t.account.closed':",
      '      return applyAccountClosed(state, data);',
      "    case 'com.example.t.account.frozen':",
      '      return checkedApplyAccountFrozen(state, data);',
      "    case 'com.example.t.account.noted':",
      '      return state;',
      '    default: {',
      '      const unhandled: unknown = type satisfies never;',
      '      throw new TypeError(`evolveAccount: unknown event type ${String(unhandled)}`);',
      '    }',
      '  }',
      '}',
    ]);
    lines(text, [
      // Too long for one line: one parameter per line.
      'export function evolveAccountAll(',
      '  state: AccountState,',
      '  events: Iterable<AccountEvent>,',
      '): AccountState {',
      '  let current = state;',
      '  for (const event of events) current = evolveAccount(current, event);',
      '  return current;',
      '}',
    ]);
  });

  it('an aggregate whose events change nothing reads no data', () => {
    const out = emit(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [count], [noted])])).get('t/reducers.ts')?.content ?? '';
    lines(out, ['  const { type } = event;', '  switch (type) {', "    case 'com.example.t.account.noted':", '      return state;']);
    expect(out).not.toContain('addDecimal');
  });

  it('an aggregate without state starts from {}', () => {
    const out = emit(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [], [noted])])).get('t/reducers.ts')?.content ?? '';
    lines(out, ['export const initialAccountState: AccountState = {};']);
  });

  it('a state field without a default is a resolver error (ES3023), so the emitter refuses it', () => {
    const bare = field('total', t.prim('int'));
    expect(() => emit(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [bare], [noted])]))).toThrow(/ES3023/);
  });
});

describe('the user-owned reducers.ts', () => {
  it('is user-owned, with a stub per custom handler that does not compile until filled', () => {
    const file = emit(accounts).get('t/reducers.ts (user-owned)');
    expect(file?.userOwned).toBe(true);
    const text = file?.content ?? '';
    expect(text).toMatch(/^\/\/ Custom reducers of the `com\.example\.t` domain/);
    expect(text).toContain('//   export function apply<Event>(state: <Aggregate>State, data: <Event>): <Aggregate>State { … }');
    lines(text, [
      "import type { AccountFrozen, AccountState } from '../../generated/t/types.js';",
      '',
      '// TODO: implement; until this returns the new state, the project does not compile.',
    ]);
    lines(text, ['export function applyAccountFrozen(state: AccountState, data: AccountFrozen): AccountState {', '}']);
  });

  it('is not written when no handler is custom', () => {
    const files = emit(domain('com.example.t', [], [aggregate('Account', t.logical('uuid'), [count], [noted])]));
    expect([...files.keys()]).toEqual(['t/reducers.ts']);
  });
});
