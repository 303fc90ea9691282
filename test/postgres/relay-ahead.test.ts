// The relay's reader publishes rows of transactions that committed while an older one still runs
// (readCommittedOutbox): nothing skipped, nothing twice, order per stream kept. Against a real
// PostgreSQL; the relay itself runs with a publisher that records instead of a broker. Every read
// here is checked against readCommittedOutboxMessages (the relay's read of what messages need).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CommittedOutboxBatch,
  ConcurrencyError,
  type NewEvent,
  type KafkaPublisher,
  MAX_PUBLISHED_AHEAD,
  OUTBOX_PROGRESS_START,
  type OutboxMessageRecord,
  type OutboxProgress,
  type OutboxRecord,
  OutboxRelay,
  advanceOutbox,
  appendToStream,
  loadOutboxProgress,
  markOutboxBatchPublished,
  migrate,
  outboxLag,
  readCommittedOutbox as readWholeRecords,
  readCommittedOutboxMessages,
  sameOutboxProgress,
  saveOutboxProgress,
  silentLogger,
} from '../../generator/runtime/index.js';
import { type ConnectionPool, type PooledConnection, type Queryable, inTransaction } from '../../generator/runtime/postgres/db.js';
import { type Isolated, useTestDatabase } from './db.js';
import { event, labelOf } from './labelled.js';

const db = useTestDatabase();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

let iso: Isolated;
beforeAll(async () => {
  iso = await db.isolated({ max: 30 });
  await migrate(iso.pool);
});

/** The columns of a record that readCommittedOutboxMessages returns. */
function messageColumns(r: OutboxRecord): OutboxMessageRecord {
  return { txid: r.txid, position: r.position, aggregateId: r.aggregateId, topic: r.topic, payload: r.payload, headers: r.headers, contentType: r.contentType };
}

/**
 * readCommittedOutbox, and readCommittedOutboxMessages in the same state: the same rows with the
 * same message columns, and the same progress whenever the two reads saw the same horizon (other
 * test files' transactions move it); as one JSON value (the default), one per row, and a few rows
 * per value.
 */
async function readCommittedOutbox(db: Queryable, after: OutboxProgress, limit: number, maxAhead = MAX_PUBLISHED_AHEAD): Promise<CommittedOutboxBatch> {
  const whole = await readWholeRecords(db, after, limit, maxAhead);
  for (const chunkBytes of [undefined, 1, 150]) {
    const messages = await readCommittedOutboxMessages(db, after, limit, maxAhead, chunkBytes);
    expect(messages.records).toEqual(whole.records.map(messageColumns));
    expect(messages.capped).toBe(whole.capped);
    if (messages.horizon === whole.horizon) expect(sameOutboxProgress(messages.progress, whole.progress)).toBe(true);
  }
  return whole;
}

/** A relay step without a broker: read after the persisted progress, mark, move it, commit. */
async function step(relay: string, limit: number): Promise<string[]> {
  return inTransaction(iso.pool, async (tx) => {
    await tx.query(`INSERT INTO eventsmith_outbox_cursors (relay, txid, position) VALUES ($1, '0'::xid8, 0) ON CONFLICT (relay) DO NOTHING`, [relay]);
    const progress = await loadOutboxProgress(tx, relay);
    const batch = await readCommittedOutbox(tx, progress, limit);
    await saveOutboxProgress(tx, relay, batch.progress);
    await markOutboxBatchPublished(tx, progress, batch);
    return batch.records.map(labelOf);
  });
}

async function append(q: pg.ClientBase | pg.Pool, streamId: string, labels: string[], expectedVersion = 0): Promise<void> {
  await appendToStream(q, { streamType: 'Doc', streamId, expectedVersion, events: labels.map(event) });
}

const unpublished = async (): Promise<string[]> =>
  (await iso.pool.query(`SELECT headers->>'ce_subject' AS l FROM eventsmith_outbox WHERE published_at IS NULL ORDER BY txid, position`)).rows.map((r: { l: string }) => r.l);

describe('readCommittedOutbox', () => {
  it('an open transaction with an outbox row does not hold back rows committed after it; its own follow when it commits, nothing twice', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const relay = `r-${randomUUID()}`;
    const older = await iso.connect();
    await older.query('BEGIN');
    await append(older, randomUUID(), ['O1', 'O2']); // older: lower txid, rows inserted, open
    await append(iso.pool, randomUUID(), ['Y1']);
    await append(iso.pool, randomUUID(), ['Y2', 'Y3']);

    expect(await step(relay, 100)).toEqual(['Y1', 'Y2', 'Y3']);
    expect(await step(relay, 100)).toEqual([]);
    const progress = await loadOutboxProgress(iso.pool, relay);
    // The cursor waits below the open transaction; the two younger ones are listed as published.
    expect(progress.ahead).toHaveLength(2);
    const olderTxid = BigInt((await older.query('SELECT pg_current_xact_id()::text AS t')).rows[0].t as string);
    expect(progress.cursor.txid).toBeLessThanOrEqual(olderTxid);
    expect(progress.ahead.every((a) => a.txid > olderTxid)).toBe(true);
    expect(await outboxLag(iso.pool, relay)).toEqual({ rows: 0, seconds: 0 }); // O1, O2 are not committed

    await append(iso.pool, randomUUID(), ['Y4']);
    await older.query('COMMIT');
    expect(await outboxLag(iso.pool, relay)).toMatchObject({ rows: 3 });
    expect(await step(relay, 100)).toEqual(['O1', 'O2', 'Y4']); // (txid, position) order
    expect(await step(relay, 100)).toEqual([]);
    expect(await unpublished()).toEqual([]);
    // Once nothing older runs, the cursor passes them all and the list empties (other test files'
    // transactions on a shared server may keep a few entries for a moment).
    await waitFor('the list of transactions published ahead empties', async () => {
      await append(iso.pool, randomUUID(), ['tick']);
      await step(relay, 100);
      return (await loadOutboxProgress(iso.pool, relay)).ahead.length === 0;
    });
  });

  it('marks only the rows it read: a transaction that commits between the read and the mark stays unpublished', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    await append(iso.pool, randomUUID(), ['Y1']);
    const older = await iso.connect(); // a txid between Y1's and Y2's
    await older.query('BEGIN');
    await append(older, randomUUID(), ['O']);
    await append(iso.pool, randomUUID(), ['Y2']);
    const batch = await readCommittedOutbox(iso.pool, OUTBOX_PROGRESS_START, 100);
    expect(batch.records.map(labelOf)).toEqual(['Y1', 'Y2']);
    await older.query('COMMIT'); // O lies between the batch's rows in (txid, position) order
    await markOutboxBatchPublished(iso.pool, OUTBOX_PROGRESS_START, batch);
    expect(await unpublished()).toEqual(['O']);
    const next = await readCommittedOutbox(iso.pool, batch.progress, 100);
    expect(next.records.map(labelOf)).toEqual(['O']);
  });

  it('advanceOutbox does the three writes and the read ahead in one statement: the progress saved, only the rows read marked, the next batch as readCommittedOutbox reads it', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const relay = `r-${randomUUID()}`;
    await iso.pool.query(`INSERT INTO eventsmith_outbox_cursors (relay, txid, position) VALUES ($1, '0'::xid8, 0)`, [relay]);
    await append(iso.pool, randomUUID(), ['Y1']);
    const older = await iso.connect(); // a txid between Y1's and Y2's: the batch ends above the horizon
    await older.query('BEGIN');
    await append(older, randomUUID(), ['O']);
    await append(iso.pool, randomUUID(), ['Y2', 'Y3', 'Y4']);
    const batch = await readCommittedOutbox(iso.pool, OUTBOX_PROGRESS_START, 3);
    expect(batch.records.map(labelOf)).toEqual(['Y1', 'Y2', 'Y3']);
    await older.query('COMMIT'); // O lies between the batch's rows in (txid, position) order
    const next = await inTransaction(iso.pool, (tx) => advanceOutbox(tx, relay, OUTBOX_PROGRESS_START, batch, { mark: true, readNext: 3 }));
    expect(await unpublished()).toEqual(['O', 'Y4']); // marked per transaction, not over the range
    expect(sameOutboxProgress(await loadOutboxProgress(iso.pool, relay), batch.progress)).toBe(true);
    expect(next?.records.map(labelOf)).toEqual(['O', 'Y4']);
    expect((await readCommittedOutbox(iso.pool, batch.progress, 3)).records.map(labelOf)).toEqual(['O', 'Y4']);

    // The batch ends below the horizon: one range; without readNext nothing is read; undone by a rollback.
    const last = next!;
    const failed = inTransaction(iso.pool, async (tx) => {
      expect(await advanceOutbox(tx, relay, batch.progress, last, { mark: true })).toBeUndefined();
      throw new Error('the send failed');
    });
    await expect(failed).rejects.toThrow('the send failed');
    expect(await unpublished()).toEqual(['O', 'Y4']);
    expect(sameOutboxProgress(await loadOutboxProgress(iso.pool, relay), batch.progress)).toBe(true);
    await inTransaction(iso.pool, (tx) => advanceOutbox(tx, relay, batch.progress, last, { mark: true }));
    expect(await unpublished()).toEqual([]);
    expect(sameOutboxProgress(await loadOutboxProgress(iso.pool, relay), last.progress)).toBe(true);

    // markPublished off: the progress moves, the rows stay unmarked.
    await append(iso.pool, randomUUID(), ['Z']);
    const z = await readCommittedOutbox(iso.pool, last.progress, 3);
    const after = await inTransaction(iso.pool, (tx) => advanceOutbox(tx, relay, last.progress, z, { mark: false, readNext: 3 }));
    expect(after?.records).toEqual([]);
    expect(await unpublished()).toEqual(['Z']);
    expect(sameOutboxProgress(await loadOutboxProgress(iso.pool, relay), z.progress)).toBe(true);
  });

  it('advanceOutbox with readMessages reads ahead as readCommittedOutboxMessages does', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const relay = `r-${randomUUID()}`;
    await iso.pool.query(`INSERT INTO eventsmith_outbox_cursors (relay, txid, position) VALUES ($1, '0'::xid8, 0)`, [relay]);
    await append(iso.pool, randomUUID(), ['Y1', 'Y2', 'Y3', 'Y4', 'Y5']);
    await append(iso.pool, randomUUID(), ['Z1', 'Z2']);
    const batch = await readCommittedOutboxMessages(iso.pool, OUTBOX_PROGRESS_START, 3);
    expect(batch.records.map(labelOf)).toEqual(['Y1', 'Y2', 'Y3']);
    for (const chunkBytes of [undefined, 1]) {
      const next = await inTransaction(iso.pool, async (tx) => {
        const read = await advanceOutbox(tx, relay, OUTBOX_PROGRESS_START, batch, { mark: true, readNext: 3, readMessages: true, ...(chunkBytes ? { chunkBytes } : {}) });
        throw Object.assign(new Error('roll back'), { read });
      }).catch((err: { read?: CommittedOutboxBatch<OutboxMessageRecord> }) => err.read);
      expect(next?.records.map(labelOf)).toEqual(['Y4', 'Y5', 'Z1']);
      expect(next?.records).toEqual((await readWholeRecords(iso.pool, batch.progress, 3)).records.map(messageColumns));
      expect(next !== undefined && sameOutboxProgress(next.progress, (await readCommittedOutboxMessages(iso.pool, batch.progress, 3)).progress)).toBe(true);
    }
    await inTransaction(iso.pool, (tx) => advanceOutbox(tx, relay, OUTBOX_PROGRESS_START, batch, { mark: true, readNext: 3, readMessages: true }));
    expect(await unpublished()).toEqual(['Y4', 'Y5', 'Z1', 'Z2']);
    expect(sameOutboxProgress(await loadOutboxProgress(iso.pool, relay), batch.progress)).toBe(true);
  });

  it('reads rows of every shape as whole records do: null and empty payloads, large payloads, headers beyond ASCII, no content type', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const big = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const events: NewEvent[] = [
      { ...event('null'), outbox: { topic: 'a', payload: null, contentType: null, headers: { ce_subject: 'null' } } },
      { ...event('empty'), outbox: { topic: 'b', payload: new Uint8Array(0), headers: { ce_subject: 'empty', x: 'é ✓ \\ "q" \n' } } },
      { ...event('big'), outbox: { topic: 'c', payload: big, contentType: 'application/octet-stream', headers: { ce_subject: 'big' } } },
    ];
    await appendToStream(iso.pool, { streamType: 'Doc', streamId: randomUUID(), expectedVersion: 0, events });
    const batch = await readCommittedOutbox(iso.pool, OUTBOX_PROGRESS_START, 10);
    expect(batch.records.map(labelOf)).toEqual(['null', 'empty', 'big']);
    const [, empty, large] = (await readCommittedOutboxMessages(iso.pool, OUTBOX_PROGRESS_START, 10, MAX_PUBLISHED_AHEAD, 1)).records;
    expect(empty?.headers.x).toBe('é ✓ \\ "q" \n');
    expect(Buffer.from(large?.payload ?? []).equals(Buffer.from(big))).toBe(true);
  });

  it('reads a large committed transaction above the horizon in parts, also when an older one commits between the parts', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const relay = `r-${randomUUID()}`;
    const blocker = await iso.connect(); // the oldest: holds the horizon below everything
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_current_xact_id()');
    const lower = await iso.connect(); // txid below B's, commits after B's first part is read
    await lower.query('BEGIN');
    await lower.query('SELECT pg_current_xact_id()');
    const b = Array.from({ length: 11 }, (_, i) => `B${i + 1}`);
    await append(iso.pool, randomUUID(), b);
    const c = ['C1', 'C2'];
    await append(iso.pool, randomUUID(), c);

    const seen: string[] = [];
    seen.push(...(await step(relay, 4)));
    expect(seen).toEqual(['B1', 'B2', 'B3', 'B4']);
    const d = Array.from({ length: 6 }, (_, i) => `D${i + 1}`);
    await append(lower, randomUUID(), d);
    await lower.query('COMMIT');
    // D sorts before B: read first, and cut by the limit too (two transactions in parts at once).
    seen.push(...(await step(relay, 4)));
    expect(seen.slice(4)).toEqual(['D1', 'D2', 'D3', 'D4']);
    expect((await loadOutboxProgress(iso.pool, relay)).ahead.map((a) => a.position)).toHaveLength(2);
    for (let i = 0; i < 20 && seen.length < 19; i++) seen.push(...(await step(relay, 4)));
    expect(seen).toEqual(['B1', 'B2', 'B3', 'B4', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11', 'C1', 'C2']);
    expect(await step(relay, 4)).toEqual([]);

    await append(blocker, randomUUID(), ['A']);
    await blocker.query('COMMIT');
    expect(await step(relay, 4)).toEqual(['A']);
    expect(await step(relay, 4)).toEqual([]);
    expect(await unpublished()).toEqual([]);
  });

  it('falls back to the gap-free rule while the list of transactions published ahead is full', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const older = await iso.connect();
    await older.query('BEGIN');
    await append(older, randomUUID(), ['O']);
    await append(iso.pool, randomUUID(), ['Y1']);
    await append(iso.pool, randomUUID(), ['Y2']);
    await append(iso.pool, randomUUID(), ['Y3']);
    const first = await readCommittedOutbox(iso.pool, OUTBOX_PROGRESS_START, 100, 2);
    expect(first.records.map(labelOf)).toEqual(['Y1', 'Y2', 'Y3']);
    const full: OutboxProgress = first.progress;
    expect(full.ahead).toHaveLength(3);
    await append(iso.pool, randomUUID(), ['Y4']);
    const capped = await readCommittedOutbox(iso.pool, full, 100, 2);
    expect(capped).toMatchObject({ records: [], capped: true });
    await older.query('COMMIT');
    await waitFor('O and Y4 read once the older transaction ended', async () => {
      const r = await readCommittedOutbox(iso.pool, full, 100, 2);
      if (r.records.length === 0) return false;
      // O first; Y4 too once the horizon passed it (on a shared server, maybe a read later).
      expect(r.records.map(labelOf)[0]).toBe('O');
      return true;
    });
  });
});

describe('OutboxRelay when a send fails', () => {
  it('after the step wrote its progress and mark and read ahead: none of it is committed, the batch goes out again before the rest, in order', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const name = `r-${randomUUID()}`;
    const streams = [randomUUID(), randomUUID()];
    for (let v = 0; v < 12; v += 3) for (const [i, s] of streams.entries()) await append(iso.pool, s, [1, 2, 3].map((k) => `${i}:${v + k}`), v);
    // The statements the relay's steps ran to their end, by name: the failing send waits until its
    // step's writes are done, so that only the rollback can undo them.
    const done: string[] = [];
    const waiters: Array<() => void> = [];
    const pool: ConnectionPool = {
      query: ((...args: Parameters<pg.Pool['query']>) => iso.pool.query(...args)) as ConnectionPool['query'],
      connect: async () => {
        const client = await iso.pool.connect();
        return {
          release: (err?: Error | boolean) => client.release(err),
          query: (async (q: string | { name?: string }, values?: unknown[]) => {
            const result = await client.query(q as string, values);
            if (typeof q === 'object' && q.name !== undefined) done.push(q.name);
            for (const w of waiters.splice(0)) w();
            return result;
          }) as PooledConnection['query'],
        };
      },
    };
    const advances = (): number => done.filter((n) => n.startsWith('eventsmith_advance_outbox')).length;
    const sent: string[][] = [];
    let sends = 0;
    let failed: string[] = [];
    let whenRetried: { unmarked: string[]; progress: OutboxProgress } | undefined;
    let afterFirst: OutboxProgress | undefined;
    const publisher = {
      async send(messages: readonly { readonly headers?: Record<string, unknown> }[]): Promise<void> {
        const labels = messages.map((m) => String(m.headers?.ce_subject ?? '?'));
        sends++;
        if (sends === 2) {
          afterFirst = await loadOutboxProgress(iso.pool, name); // committed by the first step
          while (advances() < 2) await new Promise<void>((resolve) => waiters.push(resolve));
          failed = labels;
          throw new Error('broker down');
        }
        if (sends === 3) whenRetried = { unmarked: await unpublished(), progress: await loadOutboxProgress(iso.pool, name) };
        sent.push(labels);
      },
    } as unknown as KafkaPublisher;
    const relay = new OutboxRelay({ pool, publisher, name, batchSize: 5, logger: silentLogger, retry: { initialMs: 1, maxMs: 5 } });
    relay.start();
    try {
      await waitFor('every row published', async () => (await outboxLag(iso.pool, name)).rows === 0 && sent.flat().length === 24);
    } finally {
      await relay.stop();
    }
    expect(relay.metrics().failures).toBe(1);
    expect(failed).toHaveLength(5);
    // The failed batch is the first one sent again, and nothing of its step was committed.
    expect(sent[1]).toEqual(failed);
    expect(whenRetried?.unmarked.slice(0, 5)).toEqual(failed);
    expect(whenRetried?.unmarked).toHaveLength(19);
    expect(afterFirst !== undefined && whenRetried !== undefined && sameOutboxProgress(whenRetried.progress, afterFirst)).toBe(true);
    const all = sent.flat();
    expect(new Set(all).size).toBe(24);
    for (const [i] of streams.entries()) expect(all.filter((l) => l.startsWith(`${i}:`))).toEqual(Array.from({ length: 12 }, (_, k) => `${i}:${k + 1}`));
    expect(await unpublished()).toEqual([]);
  });
});

describe('OutboxRelay named with quotes and backslashes', () => {
  it('locks and loads its progress by that name (its first statements are sent as one text, the name a literal in it)', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const name = `it's a \\ name \\' -- ${randomUUID()}`;
    await append(iso.pool, randomUUID(), ['A1', 'A2', 'A3']);
    const sent: string[][] = [];
    const relay = new OutboxRelay({ pool: iso.pool, publisher: recordingPublisher(sent), name, batchSize: 2, logger: silentLogger });
    expect(await relay.runOnce()).toBe(2);
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(0);
    expect(sent.flat()).toEqual(['A1', 'A2', 'A3']);
    expect(await outboxLag(iso.pool, name)).toEqual({ rows: 0, seconds: 0 });
    // Another relay of that name resumes after its progress.
    await append(iso.pool, randomUUID(), ['B1']);
    const next = new OutboxRelay({ pool: iso.pool, publisher: recordingPublisher(sent), name, logger: silentLogger });
    expect(await next.runOnce()).toBe(1);
    expect(sent.flat()).toEqual(['A1', 'A2', 'A3', 'B1']);
  });
});

/**
 * Records what the relay sends, in send order (steps of one relay name are serialised by its
 * lock); `crash`, when it returns true for a batch it recorded, fails the send after all.
 */
function recordingPublisher(sent: string[][], crash: (labels: string[]) => boolean = () => false): KafkaPublisher {
  return {
    async send(messages: readonly { readonly headers?: Record<string, unknown> }[]): Promise<void> {
      await sleep(Math.random() * 3);
      const labels = messages.map((m) => String(m.headers?.ce_subject ?? '?'));
      sent.push(labels);
      if (crash(labels)) throw new Error('crash after the broker had the batch');
    },
  } as unknown as KafkaPublisher;
}

describe('OutboxRelay with committed rows above the horizon', () => {
  // With afterPublish the relay reads whole records (readCommittedOutbox), without it only the
  // messages' columns (readCommittedOutboxMessages); the crash window is after the send either way.
  it.each([
    ['whole records, afterPublish crashing', true],
    ['message records, the send crashing after the broker had it', false],
  ])('random writers, a slow transaction, restarts and two relays of one name: every row published, order per stream kept, repeats only from failed steps (%s)', async (_mode, viaAfterPublish) => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const name = `r-${randomUUID()}`;
    const sent: string[][] = [];
    const failedBatches: string[][] = [];
    let crashes = 0;
    const crash = (labels: string[]): boolean => {
      if (crashes < 5 && Math.random() < 0.1) {
        crashes++;
        failedBatches.push(labels);
        return true;
      }
      return false;
    };
    const publisher = recordingPublisher(sent, viaAfterPublish ? undefined : crash);
    const makeRelay = (listen: boolean): OutboxRelay =>
      new OutboxRelay({
        pool: iso.pool,
        publisher,
        name,
        batchSize: 7,
        idlePollMs: 50,
        logger: silentLogger,
        retry: { initialMs: 5, maxMs: 20 },
        ...(listen ? { listen: () => iso.connect() } : {}),
        // A crash window: sent, then the step fails before its commit (published again later).
        ...(viaAfterPublish
          ? {
              afterPublish: (records: readonly OutboxRecord[]) => {
                if (crash(records.map(labelOf))) throw new Error('crash after publish');
              },
            }
          : {}),
      });

    const streams = Array.from({ length: 10 }, (_, i) => `s${i}-${randomUUID()}`);
    const perStream = 12;
    const writers = streams.map(async (streamId, si) => {
      let version = 0;
      while (version < perStream) {
        const tx = await iso.pool.connect();
        try {
          await tx.query('BEGIN');
          if (Math.random() < 0.5) await tx.query('SELECT pg_current_xact_id()');
          await sleep(Math.random() * 15);
          const n = 1 + Math.floor(Math.random() * 3); // up to 3 events: transactions larger than... some batches
          const labels = Array.from({ length: Math.min(n, perStream - version) }, (_, i) => `${si}:${version + i + 1}`);
          await append(tx, streamId, labels, version);
          await sleep(Math.random() * 15);
          await tx.query('COMMIT');
          version += labels.length;
        } catch (err) {
          await tx.query('ROLLBACK');
          if (!(err instanceof ConcurrencyError)) throw err;
        } finally {
          tx.release();
        }
      }
    });
    // The slow transaction: the oldest, with its rows (more than a batch), open while all the rest commits.
    const slow = await iso.connect();
    await slow.query('BEGIN');
    await append(
      slow,
      `slow-${randomUUID()}`,
      Array.from({ length: 9 }, (_, i) => `slow:${i + 1}`),
    );

    let relays = [makeRelay(true), makeRelay(false)];
    for (const r of relays) r.start();
    let restarting = true;
    const restarts = (async () => {
      let i = 0;
      while (restarting) {
        await sleep(40 + Math.random() * 80);
        const victim = relays[i % 2]!;
        await victim.stop();
        const fresh = makeRelay(i % 3 !== 0);
        fresh.start();
        relays = i % 2 === 0 ? [fresh, relays[1]!] : [relays[0]!, fresh];
        i++;
      }
    })();

    const total = streams.length * perStream;
    const firstSeen = (): Set<string> => new Set(sent.flat());
    try {
      await Promise.all(writers);
      // While the slow transaction is still open, every other row gets published.
      await waitFor('the rows committed after the slow transaction began, published while it runs', () => [...firstSeen()].filter((l) => !l.startsWith('slow:')).length === total);
      expect(sent.flat().filter((l) => l.startsWith('slow:'))).toEqual([]);
      await slow.query('COMMIT');
      await waitFor('the slow transaction’s rows, after its commit', () => firstSeen().size === total + 9);
      await waitFor('lag 0', async () => (await outboxLag(iso.pool, name)).rows === 0);
    } finally {
      restarting = false;
      await restarts;
      await Promise.all(relays.map((r) => r.stop()));
    }

    const all = sent.flat();
    // Repeats only of rows in batches whose step failed after sending.
    const counts = new Map<string, number>();
    for (const l of all) counts.set(l, (counts.get(l) ?? 0) + 1);
    const inFailed = new Set(failedBatches.flat());
    for (const [label, n] of counts) if (n > 1) expect(inFailed.has(label), `${label} published ${n} times`).toBe(true);
    // Per stream, in send order: each version once (first sightings), ascending; a repeat only goes
    // back to a row of a failed batch, and then continues in order.
    const byStream = new Map<string, number[]>();
    for (const l of all) {
      const [s, v] = l.split(':');
      const list = byStream.get(s!) ?? [];
      list.push(Number(v));
      byStream.set(s!, list);
    }
    expect(byStream.size).toBe(streams.length + 1);
    for (const [s, versions] of byStream) {
      const n = s === 'slow' ? 9 : perStream;
      expect([...new Set(versions)]).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      for (let i = 1; i < versions.length; i++) {
        if (versions[i]! <= versions[i - 1]!) expect(inFailed.has(`${s}:${versions[i]}`)).toBe(true);
      }
    }
    expect(await unpublished()).toEqual([]);
    expect(crashes).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
