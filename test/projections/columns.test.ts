// Every column type through the generated rules and queries on real PostgreSQL, exactly: longs
// past 2^53, decimals, microsecond timestamps, dates, bytes, enums, arrays; increments and
// appends; delete; upsert; a custom rule; and a typed list by an indexed column.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConnectionPool,
  type ProjectionDefinition,
  type Queryable,
  ensureProjection,
  migrate,
  projectBatch,
  projectionParked,
} from '../../generator/runtime/index.js';
import { useTestDatabase } from '../postgres/db.js';
import { root } from '../emit/evolution-support.js';
import { type GeneratedModules, generateModules } from '../repository/service.js';

const db = useTestDatabase();
const spec = readFileSync(path.join(root, 'test/cases/projections/input.yaml'), 'utf8');

// The custom rule, filled in: counts audits in the flags column (runs in the runner's transaction).
const customRules = new Map([
  [
    'eventsmith/ledger/projections.ts',
    `import type { ProjectionApplied, ProjectionEvent, Queryable } from '${path.join(root, 'generator/runtime/index.ts')}';
export async function projectAccountBalanceAccountAudited(db: Queryable, table: string, e: ProjectionEvent<{ auditor: string }>): Promise<ProjectionApplied> {
  await db.query(\`UPDATE "\${table}" SET flags = flags || $1::text WHERE account_id = $2::bigint\`, ['audited by ' + e.event.auditor, e.subject]);
  return 'applied';
}
`,
  ],
]);

type Append = { append(id: bigint, events: readonly { type: string; data: unknown }[], expected: number): Promise<unknown> };
let gen: GeneratedModules;
let balance: ProjectionDefinition<unknown>;
let depositor: ProjectionDefinition<unknown>;
let getBalance: (db: Queryable, id: bigint) => Promise<Record<string, unknown> | undefined>;
let listBalances: (db: Queryable, filter?: Record<string, unknown>) => Promise<Record<string, unknown>[]>;
let getDepositor: (db: Queryable, reference: string) => Promise<Record<string, unknown> | undefined>;
let accountRepository: (pool: ConnectionPool) => Append;

beforeAll(async () => {
  gen = await generateModules('projection-columns', spec, customRules);
  const m = await gen.module('ledger/projections.js');
  balance = m['accountBalanceProjection'] as ProjectionDefinition<unknown>;
  depositor = m['depositorProjection'] as ProjectionDefinition<unknown>;
  getBalance = m['getAccountBalance'] as typeof getBalance;
  listBalances = m['listAccountBalanceRows'] as typeof listBalances;
  getDepositor = m['getDepositor'] as typeof getDepositor;
  accountRepository = (await gen.module('ledger/repository.js'))['accountRepository'] as typeof accountRepository;
});

afterAll(() => gen.remove());

const opened = (owner: string) => ({
  type: 'com.acme.ledger.account.opened',
  data: { owner, tier: 'gold', limit: '1.0000', openedOn: '2024-02-29', cutoff: 1, auditedAt: 1n, secret: new Uint8Array([1]), score: 1, ratio: 0.5, vip: false },
});
const deposited = (amount: string, reference: string) => ({ type: 'com.acme.ledger.account.deposited', data: { amount, reference, sequence: 1n } });

it.each([
  ['statement by statement', false],
  ['set-based', true],
])('parks an insert on a key that has a row, in the batch, and goes on: %s', async (_name, setBased) => {
  const iso = await db.isolated();
  await migrate(iso.pool);
  const definition = setBased ? balance : perEvent(balance);
  await ensureProjection(iso.pool, definition);
  const accounts = accountRepository(iso.pool);
  // The second opening of account 5 arrives in the same batch as the first, the third in a later one.
  await accounts.append(5n, [opened('first'), deposited('1.0000', 'a'), opened('second'), deposited('2.0000', 'b')], 0);
  const first = await projectBatch(iso.pool, definition);
  expect(first).toMatchObject({ read: 4, applied: 3, parked: 1 });
  await accounts.append(5n, [opened('third'), deposited('4.0000', 'c')], 4);
  expect(await projectBatch(iso.pool, definition)).toMatchObject({ read: 2, applied: 1, parked: 1 });
  expect(await getBalance(iso.pool, 5n)).toMatchObject({ owner: 'first', balance: '7.0000', deposits: 3n, references: ['a', 'b', 'c'] });
  expect(await projectionParked(iso.pool, 'AccountBalance')).toBe(2);
  const parked = await iso.pool.query('SELECT stream_id, event_type, reason FROM eventsmith_projection_parked ORDER BY global_position');
  expect(parked.rows).toEqual([
    { stream_id: '5', event_type: 'com.acme.ledger.account.opened', reason: expect.stringMatching(/account_balances_pkey|existing key account_id = 5/) as unknown },
    { stream_id: '5', event_type: 'com.acme.ledger.account.opened', reason: expect.stringMatching(/account_balances_pkey|existing key account_id = 5/) as unknown },
  ]);
});

const big = 9_007_199_254_740_993n; // 2^53 + 1: not a double
const micros = 1_717_171_717_123_457n;

/** The definition without its rules as data: every event through the generated per-event SQL. */
function perEvent(d: ProjectionDefinition<unknown>): ProjectionDefinition<unknown> {
  const { batch: _batch, ...rest } = d;
  return rest;
}

it.each([
  ['statement by statement (the generated per-event SQL)', false],
  ['set-based per batch (the rules as data; the custom rule between runs)', true],
])('round-trips every column type exactly and applies every rule kind: %s', async (_name, setBased) => {
  expect(balance.batch).toBeDefined();
  const definitions = setBased ? [balance, depositor] : [perEvent(balance), perEvent(depositor)];
  const iso = await db.isolated();
  await migrate(iso.pool);
  for (const d of definitions) await ensureProjection(iso.pool, d);
  const accounts = accountRepository(iso.pool);
  const opened = {
    type: 'com.acme.ledger.account.opened',
    data: {
      owner: "O'Brien ünï",
      tier: 'gold',
      limit: '12345678901234.5678',
      openedOn: '2024-02-29',
      cutoff: 86_399_999,
      auditedAt: micros,
      secret: new Uint8Array([0, 1, 254, 255]),
      score: 0.1 + 0.2,
      ratio: 0.5,
      vip: true,
    },
  };
  const deposit = (amount: string, reference: string, sequence: bigint) => ({ type: 'com.acme.ledger.account.deposited', data: { amount, reference, sequence } });
  await accounts.append(big, [opened, deposit('0.0001', 'r-1', big), deposit('99999999999999.9998', 'r-2', big + 1n)], 0);
  await accounts.append(big, [{ type: 'com.acme.ledger.account.flagged', data: { reasons: ['a', 'b "quoted"'] } }, { type: 'com.acme.ledger.account.audited', data: { auditor: 'ann' } }], 3);
  await accounts.append(7n, [{ ...opened, data: { ...opened.data, tier: 'basic' } }, deposit('1.0000', 'r-1', 1n), { type: 'com.acme.ledger.account.closed', data: { note: null } }], 0);
  for (const d of definitions) while ((await projectBatch(iso.pool, d)).read > 0);

  const row = await getBalance(iso.pool, big);
  expect(row).toMatchObject({
    accountId: big,
    owner: "O'Brien ünï",
    tier: 'gold',
    balance: '99999999999999.9999',
    limitAmount: '12345678901234.5678',
    openedOn: '2024-02-29',
    cutoff: 86_399_999,
    auditedAt: micros,
    secret: new Uint8Array([0, 1, 254, 255]),
    score: 0.1 + 0.2,
    ratio: 0.5,
    vip: true,
    deposits: 2n,
    lastSequence: big + 1n,
    references: ['r-1', 'r-2'],
    flags: ['a', 'b "quoted"', 'audited by ann'],
    lastVersion: 1,
  });
  expect(row?.['openedAt']).toBeInstanceOf(Date);
  expect(typeof row?.['lastEventId']).toBe('string');
  // Account 7 was closed: deleted.
  expect(await getBalance(iso.pool, 7n)).toBeUndefined();
  expect((await listBalances(iso.pool, { tier: 'gold' })).map((r) => r['accountId'])).toEqual([big]);
  expect(await listBalances(iso.pool, { tier: 'basic' })).toEqual([]);
  // Depositor: upsert with an increment across accounts; the closing deletes the row keyed 'closed' (none).
  expect(await getDepositor(iso.pool, 'r-1')).toEqual({ reference: 'r-1', accountId: 7n, total: '1.0001' });
  expect(await getDepositor(iso.pool, 'r-2')).toEqual({ reference: 'r-2', accountId: big, total: '99999999999999.9998' });
});
