// Commands through every emitter: exact text on a small hand-built model (types, envelopes,
// Avro, upcasters, deciders), then the example generated, transpiled and run: command
// envelopes and their parser, command codecs and upcasters, and the example's hand-written
// deciders folded through the generated reducers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../generator/core/model.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { emitAvro } from '../../generator/emit/avro.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { emitDeciders } from '../../generator/emit/deciders.js';
import { emitEnvelopes } from '../../generator/emit/envelopes.js';
import { emitTypes } from '../../generator/emit/types.js';
import { emitUpcasters } from '../../generator/emit/upcasters.js';
import { exampleCustomFiles, generateJs, root, scratch } from './evolution-support.js';
import { aggregate, command, domain, event, field, model, t } from './model-fixtures.js';

const names = ['types.ts.hbs', 'envelopes.ts.hbs', 'avro.ts.hbs', 'upcasters.ts.hbs', 'custom-upcasters.ts.hbs', 'deciders.ts.hbs', 'custom-deciders.ts.hbs'];
const templates = createTemplateSet(new Map(names.map((n) => [n, readFileSync(path.join(root, 'templates', n), 'utf8')])));

function files(m: Model, emit: typeof emitTypes): Map<string, string> {
  // The user-owned file's path is relative to the custom folder: it may equal a generated one's.
  return new Map(emit({ model: m, templates, options: defaultEmitOptions }).map((f) => [f.userOwned ? `${f.path} (user-owned)` : f.path, f.content]));
}

function expectLines(text: string | undefined, want: string): void {
  expect(`\n${text ?? ''}`).toContain(`\n${want}\n`);
}

// Account (long id) receives Open and, in two versions, Close; Close may emit Closed or Refused.
const d = 'com.example.bank';
const opened = event(d, 'Account', 'Opened', [{ fields: [field('owner', t.prim('string'))] }]);
const closed = event(d, 'Account', 'Closed', [{ fields: [] }]);
const refused = event(d, 'Account', 'CloseRefused', [{ fields: [field('reason', t.prim('string'))] }]);
const open = command(d, 'Account', 'Open', [{ fields: [field('owner', t.prim('string'))] }], [opened], 'Open an account.');
const close = command(d, 'Account', 'Close', [{ fields: [] }, { fields: [field('force', t.prim('boolean'))] }], [closed, refused]);
const bank = model(domain(d, [], [aggregate('Account', t.prim('long'), [], [opened, closed, refused], undefined, [open, close]), aggregate('Audit', t.logical('uuid'), [], [event(d, 'Audit', 'Noted', [{ fields: [] }])])]));

describe('commands in the emitted text', () => {
  it('types.ts: versions, latest alias, version map, what a decider may return, the unions', () => {
    const text = files(bank, emitTypes).get('bank/types.ts');
    expectLines(text, '// ---- Account commands ----');
    expectLines(text, ['export interface CloseV2 {', '  readonly force: boolean;', '}'].join('\n'));
    expectLines(text, ['/** Data of `com.example.bank.account.command.close` at its latest version (2). */', 'export type Close = CloseV2;'].join('\n'));
    expectLines(text, ['export interface CloseVersions {', '  1: CloseV1;', '  2: CloseV2;', '}'].join('\n'));
    expectLines(
      text,
      [
        'export type CloseEmits =',
        "  | { readonly type: 'com.example.bank.account.closed'; readonly data: Closed }",
        "  | { readonly type: 'com.example.bank.account.closerefused'; readonly data: CloseRefused };",
      ].join('\n'),
    );
    expectLines(text, ['export const AccountCommandTypes = {', "  Open: 'com.example.bank.account.command.open',", "  Close: 'com.example.bank.account.command.close',", '} as const;'].join('\n'));
    expectLines(
      text,
      [
        'export type AccountCommand =',
        "  | { readonly type: 'com.example.bank.account.command.open'; readonly data: Open }",
        "  | { readonly type: 'com.example.bank.account.command.close'; readonly data: Close };",
      ].join('\n'),
    );
    expectLines(text, "  | { readonly type: 'com.example.bank.account.command.close'; readonly dataVersion: 2; readonly data: CloseV2 };");
    // An aggregate without commands gets no command section.
    expect(text).not.toContain('AuditCommand');
  });

  it('envelopes.ts: a constructor per command and a parser of command envelopes', () => {
    const text = files(bank, emitEnvelopes).get('bank/envelopes.ts');
    expectLines(text, "export type CloseEnvelope = CloudEvent<'com.example.bank.account.command.close', Close, 2>;");
    expectLines(text, ['export function close(', '  aggregateId: AccountId,', '  data: Close,', '  meta?: EnvelopeMeta,', '  env?: EnvelopeEnvironment,', '): CloseEnvelope {'].join('\n'));
    expectLines(text, '      subject: String(aggregateId),');
    expectLines(text, ['const accountCommandEnvelopeGuards = {', "  'com.example.bank.account.command.open': { 1: openV1Codec },", "  'com.example.bank.account.command.close': { 1: closeV1Codec, 2: closeV2Codec },", '} as const;'].join('\n'));
    expectLines(text, ["  return parseEnvelope(raw, accountCommandEnvelopeGuards, 'Account', 'commands');"].join('\n'));
    expect(text).not.toContain('parseAuditCommandEnvelope');
  });

  it('avro: a schema file per command version, named after the command, and `commandCodecs`', () => {
    const out = files(bank, emitAvro);
    const schema = JSON.parse(out.get('bank/avro/com.example.bank.account.command.close.v2.avsc') ?? '{}') as { name?: string; namespace?: string };
    expect([schema.name, schema.namespace]).toEqual(['Close', 'com.example.bank']);
    expect(Object.keys(JSON.parse(out.get('bank/avro/fingerprints.json') ?? '{}') as object)).toContain('com.example.bank.account.command.open.v1.avsc');
    const avro = out.get('bank/avro.ts');
    expectLines(avro, ['export const commandCodecs = {', "  'com.example.bank.account.command.open': { 1: openV1Codec },", "  'com.example.bank.account.command.close': { 1: closeV1Codec, 2: closeV2Codec },", '} as const;'].join('\n'));
    // `codecs` stays the events' table.
    expect(/export const codecs = \{[^}]*command/.test(avro ?? '')).toBe(false);
  });

  it('upcasters: command steps (custom ones from the user-owned upcasters.ts) and upcast<Aggregate>Command', () => {
    const out = files(bank, emitUpcasters);
    const text = out.get('bank/upcasters.ts');
    expectLines(text, 'const checkedUpcastCloseV1ToV2: (v1: CloseV1) => CloseV2 = upcastCloseV1ToV2;');
    expectLines(text, 'export function upcastAccountCommand(command: AccountCommandAnyVersion): AccountCommand {');
    expectLines(text, "      return { type, data: upcastClose(dataVersion, data) };");
    expectLines(out.get('bank/upcasters.ts (user-owned)'), 'export function upcastCloseV1ToV2(v1: CloseV1): CloseV2 {');
  });

  it('deciders: a checked import per command and an exhaustive decide<Aggregate>; a stub file the user owns', () => {
    const out = emitDeciders({ model: bank, templates, options: defaultEmitOptions });
    expect(out.map((f) => [f.path, f.userOwned ?? false])).toEqual([
      ['bank/deciders.ts', false],
      ['bank/deciders.ts', true],
    ]);
    const text = out[0]?.content;
    expectLines(
      text,
      ['const checkedDecideOpen: (', '  state: AccountState,', '  command: Open,', '  meta: CommandMeta<AccountId>,', ') => readonly OpenEmits[] = decideOpen;'].join('\n'),
    );
    expectLines(text, ['export function decideAccount(', '  state: AccountState,', '  command: AccountCommand,', '  meta: CommandMeta<AccountId>,', '): readonly AccountEvent[] {'].join('\n'));
    expectLines(text, ["    case 'com.example.bank.account.command.close':", '      return checkedDecideClose(state, data, meta);'].join('\n'));
    expect(text).not.toContain('decideAudit');
    const stubs = out[1]?.content;
    expectLines(stubs, "import type { CommandMeta } from 'eventsmith/runtime';");
    expectLines(stubs, ['export function decideClose(', '  state: AccountState,', '  command: Close,', '  meta: CommandMeta<AccountId>,', '): readonly CloseEmits[] {', '}'].join('\n'));
  });

  it('a domain without commands gets no deciders files', () => {
    const plain = model(domain(d, [], [aggregate('Audit', t.logical('uuid'), [], [event(d, 'Audit', 'Noted', [{ fields: [] }])])]));
    expect(emitDeciders({ model: plain, templates, options: defaultEmitOptions })).toEqual([]);
  });
});

// ---- the example, run --------------------------------------------------------------------

type Fn = (...args: unknown[]) => unknown;
type Module = Record<string, unknown>;
const work = scratch('commands');

/** generateJs's layout: generated code in the folder, the user-owned files in `eventsmith/`, the service's rules in `service/` (eventsmith/orders/deciders.ts imports them). */
async function load(rel: string): Promise<Module> {
  return (await import(pathToFileURL(path.join(work.dir, rel)).href)) as Module;
}

function fn(m: Module, name: string): Fn {
  const f = m[name];
  if (typeof f !== 'function') throw new Error(`no function ${name}`);
  return f as Fn;
}

beforeAll(async () => {
  await generateJs(work.dir, 'orders.yaml', readFileSync(path.join(root, 'generated-example/events/orders.yaml'), 'utf8'), exampleCustomFiles());
  mkdirSync(path.join(work.dir, 'service'), { recursive: true });
  for (const name of ['rules.ts', 'money.ts']) {
    const source = readFileSync(path.join(root, 'generated-example/src/service', name), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(path.join(work.dir, 'service', name.replace(/\.ts$/, '.js')), js);
  }
}, 60_000);
afterAll(() => work.remove());

const orderId = '6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70';
const now = new Date('2024-05-01T10:00:00.000Z');
const meta = (aggregateId: unknown) => ({ aggregateId, commandId: 'c-1', commandType: 't', correlationId: orderId, causationId: undefined, version: 0, conflicts: 0, now });
const inventoryCommand = (name: string, data: unknown) => ({ type: `com.example.orders.inventory.command.${name}`, data });

describe('the example commands, generated and run', () => {
  it('a command envelope: its CloudEvents type and schema; the command parser takes it and refuses an event', async () => {
    const env = await load('orders/envelopes.js');
    const data = { orderId, quantity: 2 };
    const cmd = fn(env, 'reserveStock')('p-1', data, { id: '00000000-0000-4000-8000-000000000001', causedBy: { id: 'e-1', correlationid: orderId } }, { now: () => now }) as Record<string, unknown>;
    expect(cmd).toMatchObject({
      type: 'com.example.orders.inventory.command.reserve-stock',
      subject: 'p-1',
      partitionkey: 'p-1',
      dataschema: 'urn:eventsmith:schema:com.example.orders.inventory.command.reserve-stock:v1',
      correlationid: orderId,
      causationid: 'e-1',
      data,
    });
    expect(fn(env, 'parseInventoryCommandEnvelope')(cmd)).toEqual({ ok: true, value: cmd });
    const event = fn(env, 'stockAdded')('p-1', { quantity: 1n });
    expect(fn(env, 'parseInventoryCommandEnvelope')(event)).toEqual({
      ok: false,
      errors: [
        "type: 'com.example.orders.inventory.stockadded' is not one of Inventory's commands; expected 'com.example.orders.inventory.command.reserve-stock', 'com.example.orders.inventory.command.release-stock'",
      ],
    });
  });

  it('command codecs round-trip through Avro binary and JSON; upcast<Aggregate>Command returns the latest version', async () => {
    const avro = await load('orders/avro.js');
    const codecs = avro['commandCodecs'] as Record<string, Record<number, { toBinary(v: unknown): Uint8Array; fromBinary(b: Uint8Array): unknown; toJson(v: unknown): string; fromJson(s: string): unknown }>>;
    const c = codecs['com.example.orders.payment.command.capture-payment']?.[1];
    const data = { orderId, amount: { amount: '12345678.90', currency: 'EUR' } };
    expect(c?.fromBinary(c.toBinary(data))).toEqual(data);
    expect(c?.fromJson(c.toJson(data))).toEqual(data);
    const up = await load('orders/upcasters.js');
    const released = { type: 'com.example.orders.inventory.command.release-stock', dataVersion: 1, data: { orderId } };
    expect(fn(up, 'upcastInventoryCommand')(released)).toEqual({ type: released.type, data: released.data });
    expect(() => fn(up, 'upcastInventoryCommand')({ type: 'nope', dataVersion: 1, data: {} })).toThrow(/unknown command type nope/);
  });

  it('Inventory: reserved when there is stock, else refused; released, also when nothing is held; the events fold back', async () => {
    const deciders = await load('orders/deciders.js');
    const reducers = await load('orders/reducers.js');
    const decide = fn(deciders, 'decideInventory');
    const evolve = (state: unknown, events: unknown) => fn(reducers, 'evolveInventoryAll')(state, events);
    const empty = reducers['initialInventoryState'];
    expect(decide(empty, inventoryCommand('reserve-stock', { orderId, quantity: 3 }), meta('p-1'))).toEqual([
      { type: 'com.example.orders.inventory.stockreservationfailed', data: { orderId, requested: 3, available: 0n } },
    ]);
    const stocked = evolve(empty, [{ type: 'com.example.orders.inventory.stockadded', data: { quantity: 5n } }]);
    const reserved = decide(stocked, inventoryCommand('reserve-stock', { orderId, quantity: 3 }), meta('p-1'));
    expect(reserved).toEqual([{ type: 'com.example.orders.inventory.stockreserved', data: { orderId, quantity: 3 } }]);
    const held = evolve(stocked, reserved);
    expect(held).toEqual({ available: 2n, reservations: { [orderId]: 3 } });
    // Delivered twice: the order holds its stock already.
    expect(decide(held, inventoryCommand('reserve-stock', { orderId, quantity: 3 }), meta('p-1'))).toEqual([]);
    const released = decide(held, inventoryCommand('release-stock', { orderId }), meta('p-1'));
    expect(evolve(held, released)).toEqual(stocked);
    expect(decide(stocked, inventoryCommand('release-stock', { orderId }), meta('p-1'))).toEqual([
      { type: 'com.example.orders.inventory.stockreleased', data: { orderId, quantity: 0 } },
    ]);
    // The table the command consumer's handlers are built from holds the same deciders.
    const table = deciders['inventoryDeciders'] as Record<string, Fn>;
    expect(Object.keys(table)).toEqual(['com.example.orders.inventory.command.reserve-stock', 'com.example.orders.inventory.command.release-stock']);
    expect(table['com.example.orders.inventory.command.release-stock']?.(stocked, { orderId }, meta('p-1'))).toEqual(
      decide(stocked, inventoryCommand('release-stock', { orderId }), meta('p-1')),
    );
  });

  it('Payment: captured at meta.now up to the provider limit, declined above it; a captured payment is refunded', async () => {
    const deciders = await load('orders/deciders.js');
    const reducers = await load('orders/reducers.js');
    const decide = fn(deciders, 'decidePayment');
    const initial = reducers['initialPaymentState'];
    const capture = (amount: string) => ({ type: 'com.example.orders.payment.command.capture-payment', data: { orderId, amount: { amount, currency: 'EUR' } } });
    const refund = { type: 'com.example.orders.payment.command.refund-payment', data: { orderId } };
    expect(decide(initial, capture('1000.01'), meta(orderId))).toMatchObject([{ type: 'com.example.orders.payment.declined', data: { orderId, code: 'insufficientFunds' } }]);
    const captured = decide(initial, capture('1000.00'), meta(orderId));
    expect(captured).toMatchObject([
      { type: 'com.example.orders.payment.captured', data: { orderId, amount: { amount: '1000.00', currency: 'EUR' }, method: 'card', capturedAt: BigInt(now.getTime()) * 1000n } },
    ]);
    const paid = fn(reducers, 'evolvePaymentAll')(initial, captured);
    expect(decide(paid, capture('1000.00'), meta(orderId))).toEqual([]);
    expect(decide(paid, refund, meta(orderId))).toEqual([{ type: 'com.example.orders.payment.refunded', data: { orderId, amount: { amount: '1000.00', currency: 'EUR' }, fingerprint: null } }]);
    // Nothing captured, nothing to refund (the saga does not wait for this compensation).
    expect(decide(initial, refund, meta(orderId))).toEqual([]);
  });

  it('Order: a placed order is confirmed or cancelled at meta.now; any other stays as it is', async () => {
    const deciders = await load('orders/deciders.js');
    const reducers = await load('orders/reducers.js');
    const decide = fn(deciders, 'decideOrder');
    const initial = reducers['initialOrderState'] as Record<string, unknown>;
    const placed = { ...initial, status: 'placed' };
    const confirm = { type: 'com.example.orders.order.command.confirm-order', data: {} };
    const cancel = { type: 'com.example.orders.order.command.cancel-order', data: { reason: 'out of stock' } };
    expect(decide(placed, confirm, meta(orderId))).toEqual([{ type: 'com.example.orders.order.confirmed', data: { confirmedAt: now } }]);
    expect(decide(initial, confirm, meta(orderId))).toEqual([]);
    expect(decide(placed, cancel, meta(orderId))).toEqual([{ type: 'com.example.orders.order.cancelled', data: { reason: 'out of stock', cancelledAt: now } }]);
    expect(decide({ ...initial, status: 'cancelled' }, cancel, meta(orderId))).toEqual([]);
    expect(() => decide(initial, { type: 'nope', data: {} }, meta(orderId))).toThrow(/decideOrder: unknown command type nope/);
  });
});
