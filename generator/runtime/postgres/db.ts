/**
 * The database surface the runtime needs, typed structurally so that `pg` (Pool, PoolClient,
 * Client) fits without the runtime importing it, and the conversions from what a driver returns.
 *
 * Values are converted defensively because applications may install their own `pg` type parsers
 * (int8 as number, timestamptz as string, jsonb as text); SQL casts 64-bit values to text.
 */

export interface QueryResultLike {
  readonly rows: readonly unknown[];
  readonly rowCount: number | null;
}

/**
 * A statement PostgreSQL parses and plans once per connection and then only executes (pg's
 * query config with a `name`). The runtime names the statements it runs on every append and
 * load: planning them cost more than executing them. Names start with `eventsmith_`; one name
 * always stands for one text. (A pooler in transaction mode needs prepared-statement support,
 * e.g. PgBouncer 1.21+ with max_prepared_statements.)
 */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/** Anything that runs one parameterised statement: a pool, a pooled client, a client. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
  query(statement: NamedStatement): Promise<QueryResultLike>;
}

/** A connection checked out of a pool (pg's PoolClient). */
export interface PooledConnection extends Queryable {
  release(err?: Error | boolean): void;
}

/** A pool (pg's Pool): needed where the runtime runs its own multi-statement transaction. */
export interface ConnectionPool extends Queryable {
  connect(): Promise<PooledConnection>;
}

export type Row = { readonly [column: string]: unknown };

export function rowsOf(result: QueryResultLike): Row[] {
  return result.rows.map((r) => {
    if (typeof r !== 'object' || r === null) throw new TypeError(`eventsmith: unexpected row ${String(r)}`);
    return r as Row;
  });
}

/**
 * The results of a text of several statements without parameters, sent as one (pg's simple
 * query protocol runs them in order, each with a snapshot of its own, and answers with one
 * result per statement): one round trip instead of one each.
 */
export async function queryResults(db: Queryable, statements: readonly string[]): Promise<QueryResultLike[]> {
  const results: unknown = await db.query(statements.join(';\n'));
  const list: unknown[] = Array.isArray(results) ? results : [results];
  if (list.length !== statements.length) throw new TypeError(`eventsmith: ${statements.length} statements sent as one gave ${list.length} results (a driver other than pg?)`);
  return list.map((r) => {
    if (typeof r !== 'object' || r === null || !('rows' in r) || !Array.isArray(r.rows)) throw new TypeError('eventsmith: unexpected query result');
    return r as QueryResultLike;
  });
}

/**
 * `value` as an SQL string literal, for statements that cannot take parameters (queryResults):
 * the E'' form, whose escapes mean the same whatever standard_conforming_strings says.
 */
export function sqlLiteral(value: string): string {
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function firstRow(result: QueryResultLike): Row | undefined {
  return rowsOf(result)[0];
}

export function asString(v: unknown, column: string): string {
  if (typeof v === 'string') return v;
  throw new TypeError(`eventsmith: column ${column}: expected text, got ${typeof v}`);
}

export function asNullableString(v: unknown, column: string): string | null {
  return v === null || v === undefined ? null : asString(v, column);
}

export function asInt(v: unknown, column: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  if (typeof n === 'bigint' && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n);
  throw new TypeError(`eventsmith: column ${column}: expected an integer, got ${String(v)}`);
}

export function asBigInt(v: unknown, column: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new TypeError(`eventsmith: column ${column}: expected a 64-bit integer, got ${String(v)}`);
}

/** A timestamp as pg parses it (Date), as text (a custom parser), or as epoch milliseconds. */
export function asDate(v: unknown, column: string): Date {
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined;
  if (d !== undefined && !Number.isNaN(d.getTime())) return d;
  throw new TypeError(`eventsmith: column ${column}: expected a timestamp, got ${String(v)}`);
}

export function asNullableDate(v: unknown, column: string): Date | null {
  return v === null || v === undefined ? null : asDate(v, column);
}

export function asBytes(v: unknown, column: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  // A text parser installed for bytea leaves the hex form.
  if (typeof v === 'string' && v.startsWith('\\x')) return Buffer.from(v.slice(2), 'hex');
  throw new TypeError(`eventsmith: column ${column}: expected bytea, got ${typeof v}`);
}

export function asNullableBytes(v: unknown, column: string): Uint8Array | null {
  return v === null || v === undefined ? null : asBytes(v, column);
}

export function asJson(v: unknown, column: string): unknown {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw new TypeError(`eventsmith: column ${column}: invalid JSON`);
    }
  }
  return v;
}

/** The driver's bytes parameter: pg sends Buffers (also inside arrays) as bytea. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** SQLSTATE and constraint of a PostgreSQL error as raised by pg (or undefined). */
export function pgErrorInfo(err: unknown): { code: string | undefined; constraint: string | undefined } {
  if (typeof err !== 'object' || err === null) return { code: undefined, constraint: undefined };
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const constraint = 'constraint' in err && typeof err.constraint === 'string' ? err.constraint : undefined;
  return { code, constraint };
}

export const UNIQUE_VIOLATION = '23505';

/**
 * Whether `err`, or an error it was caused by, is a deadlock or a serialization failure
 * (SQLSTATE 40P01, 40001): the database chose this transaction to abort because of what ran
 * beside it, not because of what it does, so running it again is the remedy.
 */
export function isTransientConflict(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const { code } = pgErrorInfo(e);
    if (code === '40P01' || code === '40001') return true;
    e = 'cause' in e ? e.cause : undefined;
  }
  return false;
}

/**
 * Runs `work` in a transaction on a connection of its own. With `workBegins`, `work` sends the
 * BEGIN itself, at the head of its first statements (one round trip for several: see
 * queryResults); a ROLLBACK when nothing began only warns.
 */
export async function inTransaction<T>(pool: ConnectionPool, work: (tx: PooledConnection) => Promise<T>, options?: { readonly workBegins?: boolean }): Promise<T> {
  const tx = await pool.connect();
  let broken: Error | undefined;
  try {
    if (options?.workBegins !== true) await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await tx.query('ROLLBACK');
    } catch (rollbackErr) {
      // A connection that cannot roll back must not go back to the pool.
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err;
  } finally {
    tx.release(broken ?? false);
  }
}
