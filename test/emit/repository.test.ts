// The repository and SQL emitters on small hand-built models: what the definition passed to the
// runtime says for each id type, encoding and snapshot setting, and the migration files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Aggregate, Domain, StorageEncoding } from '../../generator/core/model.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { emitRepository } from '../../generator/emit/repository.js';
import { emitSql } from '../../generator/emit/sql.js';
import { migrationFiles } from '../../generator/runtime/postgres/migrations.js';
import { lines } from './evolution-fixtures.js';
import { aggregate, domain, event, field, model, t } from './model-fixtures.js';

const templates = createTemplateSet(new Map([['repository.ts.hbs', readFileSync(path.join(import.meta.dirname, '../../templates/repository.ts.hbs'), 'utf8')]]));

function withStore(d: Domain, encoding: StorageEncoding, snapshotEvery?: number): Domain {
  const aggregates = d.aggregates.map((a): Aggregate => (snapshotEvery === undefined ? a : { ...a, snapshotEvery }));
  return { ...d, storage: { kind: 'storage', encoding }, aggregates };
}

function emit(d: Domain): string {
  const files = emitRepository({ model: model(d), templates, options: defaultEmitOptions });
  expect(files.map((f) => f.path)).toEqual(['shop/repository.ts']);
  return files[0]?.content ?? '';
}

const counter = (idType: Parameters<typeof aggregate>[1], name = 'Cart') =>
  domain('com.acme.shop', [], [aggregate(name, idType, [field('total', t.prim('int'), { default: 0 })], [event('com.acme.shop', name, `${name}Emptied`, [{ fields: [] }, { fields: [field('why', t.opt(t.prim('string')))] }])])]);

describe('repository.ts', () => {
  it.each([
    ['uuid', t.logical('uuid'), '(id: CartId) => id'],
    ['string', t.prim('string'), '(id: CartId) => id'],
    ['long', t.prim('long'), '(id: CartId) => String(id)'],
    ['int', t.prim('int'), '(id: CartId) => String(id)'],
  ])('a %s id becomes the stream id as text', (_name, idType, streamId) => {
    lines(emit(counter(idType)), [`      streamId: ${streamId},`]);
  });

  it('passes what the spec decides to createRepository; every version has its codec', () => {
    const text = emit(withStore(counter(t.logical('uuid')), 'json'));
    lines(text, [
      '  return createRepository(',
      '    pool,',
      '    {',
      "      streamType: 'Cart',",
      "      topic: 'cart',",
      "      source: 'urn:example:service',",
      "      encoding: 'json',",
      '      streamId: (id: CartId) => id,',
      '      codecs: {',
      "        'com.acme.shop.cart.emptied': { 1: cartEmptiedV1Codec, 2: cartEmptiedV2Codec },",
      '      },',
      '      upcast: upcastCartEvent,',
      '      initialState: initialCartState,',
      '      evolve: evolveCart,',
      '    },',
      '    options,',
      '  );',
    ]);
    lines(text, ['export type CartEventInput = EventInput<CartEvent>;']);
    lines(text, ['export type CartRepository = Repository<CartId, CartState, CartEventInput>;']);
    expect(text).not.toContain('StateCodec');
    expect(text).not.toContain('createCodec');
    expect(text.replace(/\n \* /g, ' ')).toContain("published as Avro's JSON encoding (`application/json`)");
  });

  it('with snapshotEvery: the state schema and codec, the interval and the codec in the definition', () => {
    const text = emit(withStore(counter(t.logical('uuid')), 'avro', 7));
    lines(text, [
      'export const cartStateSchema = {',
      "  type: 'record',",
      "  name: 'CartState',",
      "  namespace: 'com.acme.shop',",
      "  fields: [{ name: 'total', type: 'int', default: 0 }]",
      '} as const;',
    ]);
    lines(text, ['export const cartStateCodec = createCodec<CartState>(cartStateSchema);']);
    lines(text, ['      evolve: evolveCart,', '      snapshotEvery: 7,', '      stateCodec: cartStateCodec,', '    },']);
    expect(text.replace(/\n \* /g, ' ')).toContain('A snapshot is stored every 7 events');
  });

  it('breaks a long factory signature and long codec entries over lines', () => {
    const text = emit(withStore(counter(t.logical('uuid'), 'ShoppingCartWithAVeryLongName'), 'avro', 3));
    lines(text, [
      'export function shoppingCartWithAVeryLongNameRepository(',
      '  pool: ConnectionPool,',
      '  options?: RepositoryOptions,',
      '): ShoppingCartWithAVeryLongNameRepository {',
    ]);
    lines(text, [
      "        'com.acme.shop.shoppingcartwithaverylongname.emptied': {",
      '          1: shoppingCartWithAVeryLongNameEmptiedV1Codec,',
      '          2: shoppingCartWithAVeryLongNameEmptiedV2Codec,',
      '        },',
    ]);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});

describe('sql/', () => {
  it('the runtime migrations, byte for byte, in every domain folder', () => {
    const files = emitSql({ model: model(counter(t.logical('uuid')), { ...counter(t.prim('string')), name: 'com.acme.billing' }), templates, options: defaultEmitOptions });
    const want = migrationFiles();
    expect(files).toEqual([...want.map((f) => ({ path: `shop/sql/${f.fileName}`, content: f.content })), ...want.map((f) => ({ path: `billing/sql/${f.fileName}`, content: f.content }))]);
  });
});
