// The generated sagas.ts of a small spec (test/saga/fixtures/checkout.yaml: a long-id Cart, a
// string-id Stock, a saga that reads a list element, `$sagaId` of type long, `data: custom` on
// onCompleted and on a reaction, two reactions on one event): it compiles under
// --strict --noUncheckedIndexedAccess once the user's hooks are filled, and not before or when a
// hook has the wrong type; the generated orchestration runs on the engine against a real
// PostgreSQL with its context kept exactly; reactions write their commands to the outbox once.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AvroCodec,
  type CloudEvent,
  type HandlerContext,
  type SagaDefinition,
  SagaEngine,
  makeEnvelope,
  migrate,
} from '../../generator/runtime/index.js';
import { generate } from '../../generator/pipeline.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { builtInTemplates } from '../../generator/cli/project.js';
import { generateInto, root, scratch, typeCheck } from '../emit/evolution-support.js';
import { useTestDatabase } from '../postgres/db.js';
import { generateModules, member } from '../repository/service.js';

const spec = readFileSync(path.join(root, 'test/saga/fixtures/checkout.yaml'), 'utf8');

const filledDeciders = `import type { CommandMeta } from 'eventsmith/runtime';
import type { CartId, CartState, Close, CloseEmits, Free, FreeEmits, Hold, HoldEmits, StockId, StockState } from '../../generated/sagatest/types.js';

export function decideClose(state: CartState, command: Close, _meta: CommandMeta<CartId>): readonly CloseEmits[] {
  return state.open ? [{ type: 'com.example.sagatest.cart.closed', data: { reason: command.reason } }] : [];
}
export function decideHold(state: StockState, command: Hold, _meta: CommandMeta<StockId>): readonly HoldEmits[] {
  return state.held + command.qty <= 10
    ? [{ type: 'com.example.sagatest.stock.held', data: { cartId: command.cartId, qty: command.qty } }]
    : [{ type: 'com.example.sagatest.stock.refused', data: { cartId: command.cartId } }];
}
export function decideFree(_state: StockState, command: Free, _meta: CommandMeta<StockId>): readonly FreeEmits[] {
  return [{ type: 'com.example.sagatest.stock.freed', data: { cartId: command.cartId } }];
}
`;

const filledSagas = `import type { CloudEvent } from 'eventsmith/runtime';
import type { CheckoutContext } from '../../generated/sagatest/sagas.js';
import type * as types from '../../generated/sagatest/types.js';

export function checkoutOnCompletedData(ctx: CheckoutContext): types.Close {
  return { reason: \`checked out \${ctx.steps.hold?.data.qty ?? 0} of \${ctx.start.data.total}\` };
}
export function closeAgainCommandData(event: CloudEvent<string, types.Refused>): types.Close {
  return { reason: \`refused for cart \${event.data.cartId}\` };
}
`;

/** Compiles on its own, but is not what sagas.ts needs: the data of another command. */
const mistypedSagas = filledSagas.replace(
  /export function checkoutOnCompletedData[^]*?\n}\n/,
  'export function checkoutOnCompletedData(ctx: CheckoutContext): types.Hold {\n  return { cartId: BigInt(ctx.sagaId), qty: 1 };\n}\n',
);

describe('generated sagas.ts: types', () => {
  it('compiles once the hooks are filled; an unfilled or mistyped hook is a compile error at it', async () => {
    const work = scratch('sagas-types');
    try {
      await generateInto(path.join(work.dir, 'generated'), 'checkout.yaml', spec);
      const customSagas = path.join(work.dir, 'eventsmith/sagatest/sagas.ts');
      writeFileSync(path.join(work.dir, 'eventsmith/sagatest/deciders.ts'), filledDeciders);
      // As generated: stubs without a return.
      const unfilled = typeCheck(work.dir);
      expect(unfilled).toHaveLength(2);
      expect(unfilled.join('\n')).toMatch(/eventsmith\/sagatest\/sagas\.ts\(\d+,\d+\): error TS2355/);
      writeFileSync(customSagas, filledSagas);
      expect(typeCheck(work.dir)).toEqual([]);
      writeFileSync(customSagas, mistypedSagas);
      const mistyped = typeCheck(work.dir);
      expect(mistyped.length).toBeGreaterThan(0);
      expect(mistyped.filter((e) => !e.startsWith('generated/sagatest/sagas.ts')), mistyped.join('\n')).toEqual([]);
    } finally {
      work.remove();
    }
  }, 120_000);
});

describe('generated sagas.ts: names', () => {
  it('a reaction named like a runtime import of sagas.ts is an output name collision (ES3021)', async () => {
    const text = spec.replace('  - name: closeAgain', '  - name: sagaCommand');
    const result = generate([{ file: 'checkout.yaml', text }], createTemplateSet(await builtInTemplates()), { runtimeModule: 'eventsmith/runtime' });
    expect(result.files).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`)).toEqual([
      expect.stringMatching(/^ES3021 \d+:\d+ output name collision: `sagaCommand` is both the import sagaCommand of sagas.ts and reaction sagaCommand/),
    ]);
  });
});

const db = useTestDatabase();

describe('generated sagas.ts on the engine (real PostgreSQL)', () => {
  let mods: Awaited<ReturnType<typeof generateModules>>;
  let saga: SagaDefinition<unknown>;
  let reactions: () => { readonly Stock: { readonly Refused: (e: CloudEvent<string, unknown>, c: HandlerContext) => Promise<void> } };
  let codec: (name: string) => AvroCodec<unknown>;

  beforeAll(async () => {
    mods = await generateModules(
      'sagas-run',
      spec,
      new Map([
        ['eventsmith/sagatest/deciders.ts', filledDeciders],
        ['eventsmith/sagatest/sagas.ts', filledSagas],
      ]),
    );
    const sagas = await mods.module('sagatest/sagas.js');
    saga = member(sagas, 'checkoutSaga', 'object');
    reactions = member(sagas, 'reactionHandlers', 'function');
    const avro = await mods.module('sagatest/avro.js');
    codec = (name) => member(avro, name, 'object');
  }, 60_000);

  afterAll(() => mods?.remove());

  const outbox = async (pool: import('pg').Pool) =>
    (await pool.query<{ id: string; type: string; aggregateid: string; topic: string; payload: Buffer; headers: Record<string, string> }>('SELECT id, type, aggregateid, topic, payload, headers FROM eventsmith_outbox ORDER BY position')).rows;

  it('start → Hold to the first line\'s sku with $sagaId as a long; Held → Close with the custom data; the context kept exactly', async () => {
    const { pool } = await db.isolated();
    await migrate(pool);
    const engine = new SagaEngine(saga);
    const cartId = '9007199254740993'; // 2^53 + 1: only exact as a bigint
    const start = { id: randomUUID(), type: 'com.example.sagatest.cart.checkedout', aggregateId: cartId, data: { lines: [{ sku: 'sku-7', qty: 3 }, { sku: 'sku-8', qty: 1 }], total: 12345678901234567n } };
    expect(await engine.handle(pool, start)).toMatchObject({ outcome: 'started' });
    const [hold] = await outbox(pool);
    expect(hold).toMatchObject({ type: 'com.example.sagatest.stock.command.hold', aggregateid: 'sku-7', topic: 'com.example.sagatest.stock.commands' });
    expect(codec('holdV1Codec').fromBinary(hold?.payload ?? Buffer.alloc(0))).toEqual({ cartId: 9007199254740993n, qty: 3 });
    expect(hold?.headers).toMatchObject({ correlationid: cartId, causationid: start.id, subject: 'sku-7' });

    const held = { id: randomUUID(), type: 'com.example.sagatest.stock.held', aggregateId: 'sku-7', correlationId: cartId, causationId: hold?.id, data: { cartId: 9007199254740993n, qty: 3 } };
    expect(await engine.handle(pool, held)).toMatchObject({ outcome: 'advanced' });
    const rows = await outbox(pool);
    expect(rows.map((r) => r.type)).toEqual(['com.example.sagatest.stock.command.hold', 'com.example.sagatest.cart.command.close']);
    expect(rows[1]?.aggregateid).toBe(cartId);
    expect(codec('closeV1Codec').fromBinary(rows[1]?.payload ?? Buffer.alloc(0))).toEqual({ reason: 'checked out 3 of 12345678901234567' });
    const stored = await engine.get(pool, cartId);
    expect(stored?.status).toBe('completed');
    // Read back from jsonb through the events' codecs: longs stay exact.
    expect(stored?.context).toMatchObject({ sagaId: cartId, start: { data: { total: 12345678901234567n } }, steps: { hold: { data: { cartId: 9007199254740993n } } } });
  });

  it('a start event without lines cannot build the Hold command: a RangeError, nothing written', async () => {
    const { pool } = await db.isolated();
    await migrate(pool);
    const engine = new SagaEngine(saga);
    const start = { id: randomUUID(), type: 'com.example.sagatest.cart.checkedout', aggregateId: '1', data: { lines: [], total: 0n } };
    await expect(engine.handle(pool, start)).rejects.toThrow(/element 0 of a list of 0/);
    expect(await outbox(pool)).toEqual([]);
  });

  it('both reactions on Refused write their Close command once, with derived ids, correlation and causation', async () => {
    const { pool } = await db.isolated();
    await migrate(pool);
    const refused = makeEnvelope(
      { type: 'com.example.sagatest.stock.refused', dataversion: 1, source: 'urn:test', subject: 'sku-1', data: { cartId: 42n } },
      { correlationid: 'corr-9' },
    );
    const context = { tx: pool, groupId: 'g', topic: 'stock', partition: 0, offset: '0', attempt: 1, writerVersion: 1 } as HandlerContext;
    await reactions().Stock.Refused(refused, context);
    const rows = await outbox(pool);
    expect(rows.map((r) => [r.type, r.aggregateid])).toEqual([
      ['com.example.sagatest.cart.command.close', '42'],
      ['com.example.sagatest.cart.command.close', '42'],
    ]);
    expect(rows.map((r) => codec('closeV1Codec').fromBinary(r.payload))).toEqual([{ reason: 'no stock' }, { reason: 'refused for cart 42' }]);
    for (const r of rows) expect(r.headers).toMatchObject({ correlationid: 'corr-9', causationid: refused.id });
    // The same event again (a redelivery past the processed mark) cannot send a second command.
    await expect(reactions().Stock.Refused(refused, context)).rejects.toThrow();
    expect(await outbox(pool)).toHaveLength(2);
  });
});
