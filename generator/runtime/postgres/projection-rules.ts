/**
 * Set-based application of a batch of events to a projection table.
 *
 * One statement per event per rule costs a round trip and an executor start per event, which
 * dominates everything else. Instead, per run of consecutive rule events of a batch:
 *   1. one statement reads the rows of every key the run touches (and canonicalises each key
 *      through its column type, so `ABC…` and `abc…` of a uuid key are one row), one index probe
 *      per key, as one JSON value that leaves out keys without a row already in canonical form;
 *      when every rule's key is the subject, a batch's read of the events may bring them
 *      (preloadSql), and only keys it did not bring are read;
 *   2. the events are folded into those rows in JavaScript, in order, with the same semantics
 *      as the per-event SQL of the generated `apply` (see `foldEvent`);
 *   3. one DELETE removes rows the run deleted, one INSERT … SELECT FROM unnest(…) ON CONFLICT
 *      writes every row it changed (a key touched ten times is written once).
 * Every value travels as PostgreSQL text (a column's values as one array literal) and is cast
 * to its column's exact type on the server, so nothing passes through a float or a time zone. The arithmetic of `increment` is the only
 * computation done here: integers in bigint, decimals as scaled bigints rounded like numeric,
 * floats in IEEE double (real rounded to single), with PostgreSQL's range errors.
 *
 * An `insert` on a key that has a row, and an insert or upsert whose key is null, would fail
 * the statement and with it the batch, forever: those events are parked instead (returned to
 * the caller, which records them) and the run continues.
 */
import { createHash } from 'node:crypto';
import { formatDecimal } from '../logical.js';
import { type NamedStatement, type Queryable, asJson, firstRow } from './db.js';
import type { ProjectionEvent } from './projection.js';

/** A column value as PostgreSQL text: null, the text of a scalar, or the element texts of an array column. */
export type ColumnText = string | null | readonly (string | null)[];

export interface BatchColumn {
  /** The SQL column name. */
  readonly name: string;
  /** The column's exact type (`numeric(12,2)`, `text[]`, `timestamptz`, …). */
  readonly sqlType: string;
  /** A timestamptz carried as integer microseconds since the epoch (timestamp-micros). */
  readonly micros?: boolean;
  /** The column of a new row before the rule's assignments: its DEFAULT as text, or null. */
  readonly initial: ColumnText;
}

export interface BatchAssignment {
  /** Index into `columns`. */
  readonly column: number;
  readonly op: 'set' | 'increment' | 'append';
  /** `append` of a whole list (true) or of one element. */
  readonly spread?: boolean;
}

export type BatchRule =
  | { readonly kind: 'insert' | 'upsert'; readonly assign: readonly BatchAssignment[] }
  | { readonly kind: 'update'; readonly assign: readonly BatchAssignment[] }
  | { readonly kind: 'delete' };

/** What the generated code computes of one event: the where value (update, delete) and one value per assignment, as sqlValue makes them. */
export interface BatchInput {
  readonly where?: unknown;
  readonly values: readonly unknown[];
}

/** The generated rules of a projection in the form this module applies. */
export interface ProjectionBatchRules<E> {
  /** Index of the key column in `columns`. */
  readonly key: number;
  /** Every column of the table. */
  readonly columns: readonly BatchColumn[];
  /** The rule of each event type; types without one (custom rules) are applied by `apply`. */
  readonly rules: Readonly<Record<string, BatchRule>>;
  /** The inputs of an event whose type has a rule. */
  inputs(e: ProjectionEvent<E>): BatchInput;
  /**
   * Every rule's key is the event's subject (`$subject`, the stream id): the runner then reads
   * the rows a batch touches in the statement that reads its events.
   */
  readonly subjectKey?: boolean;
}

/** An event not applied because its rule cannot apply to it. */
export interface ParkedEvent {
  readonly index: number;
  readonly reason: string;
}

/**
 * A statement prepared once per connection (NamedStatement): its text depends on the table and
 * columns, so its name is a hash of the text (one name always stands for one text).
 */
export function prepared(text: string, values: unknown[]): NamedStatement {
  return { name: `eventsmith_p_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text, values };
}

const quote = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

// ---- values as text ---------------------------------------------------------------------

function bytesText(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** A scalar parameter value (as sqlValue made it) as the text PostgreSQL's input function reads. */
export function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return bytesText(v);
  throw new TypeError(`eventsmith: cannot write ${typeof v} to a projection column`);
}

function valueText(v: unknown, array: boolean): ColumnText {
  if (!array || v === null || v === undefined) return scalarText(v);
  if (!Array.isArray(v)) throw new TypeError(`eventsmith: expected a list for an array column, got ${typeof v}`);
  return v.map(scalarText);
}

const ARRAY_SPECIAL = /[\\"]/;
const ARRAY_ESCAPE = /[\\"]/g;

/** One element of PostgreSQL's array text format: always quoted, so '', 'NULL', braces and commas stay text. */
function arrayElement(x: string | null): string {
  if (x === null) return 'NULL';
  return ARRAY_SPECIAL.test(x) ? `"${x.replace(ARRAY_ESCAPE, '\\$&')}"` : `"${x}"`;
}

/** An array column's elements in PostgreSQL's array text format. */
export function arrayLiteral(items: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + arrayElement(items[i] ?? null);
  return `${out}}`;
}

function isArrayColumn(c: BatchColumn): boolean {
  return c.sqlType.endsWith('[]');
}

/** The SQL reading column `c` of alias `t` as the text form of ColumnText. */
function readExpr(c: BatchColumn, t: string): string {
  return readOf(c, `${t}.${quote(c.name)}`);
}

/** The SQL reading `expr`, a value of column `c`'s type, as the text form of ColumnText. */
function readOf(c: BatchColumn, expr: string): string {
  if (c.micros === true) return `(extract(epoch FROM ${expr}) * 1000000)::bigint::text`;
  return isArrayColumn(c) ? `${expr}::text[]` : `${expr}::text`;
}

/**
 * Whether the write sends column `c` as an array of its own type: each element then goes through
 * the type's input function, as the cast from text would, without a text value and a cast per
 * element. Array columns (a list per row) and microsecond timestamps (an expression) travel as text.
 */
function typedParam(c: BatchColumn): boolean {
  return c.micros !== true && !isArrayColumn(c);
}

/** The SQL turning the text `expr` into column `c`'s type. */
function writeExpr(c: BatchColumn, expr: string): string {
  if (c.micros === true) return `('epoch'::timestamptz + ${expr}::bigint * interval '1 microsecond')`;
  return `${expr}::${c.sqlType}`;
}

// ---- increment arithmetic -----------------------------------------------------------------

type Arithmetic = (a: string, b: string) => string;

const INT4 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT8 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function integerSum(range: readonly [bigint, bigint], name: string): Arithmetic {
  return (a, b) => {
    const sum = BigInt(a) + BigInt(b);
    if (sum < range[0] || sum > range[1]) throw new RangeError(`eventsmith: ${name} out of range`);
    return sum.toString();
  };
}

function floatSum(single: boolean): Arithmetic {
  const round = single ? Math.fround : (x: number): number => x;
  return (a, b) => {
    const sum = round(round(Number(a)) + round(Number(b)));
    if (!Number.isFinite(sum)) throw new RangeError('eventsmith: value out of range: overflow');
    return String(sum);
  };
}

/** numeric text rounded to `scale` digits (half away from zero, like numeric's input), as a scaled bigint. */
function scaled(text: string, scale: number): bigint {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new TypeError(`eventsmith: invalid input syntax for type numeric: "${text}"`);
  const digits = `${m[2] ?? ''}${m[3] ?? ''}`;
  const exponent = Number(m[4] ?? '0') - (m[3] ?? '').length + scale;
  let magnitude: bigint;
  if (exponent >= 0) magnitude = BigInt(digits || '0') * 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    const whole = BigInt(digits || '0');
    magnitude = whole / divisor + ((whole % divisor) * 2n >= divisor ? 1n : 0n);
  }
  return m[1] === '-' ? -magnitude : magnitude;
}

function decimalSum(precision: number, scale: number): Arithmetic {
  const limit = 10n ** BigInt(precision);
  return (a, b) => {
    const sum = scaled(a, scale) + scaled(b, scale);
    const abs = sum < 0n ? -sum : sum;
    if (abs >= limit) throw new RangeError('eventsmith: numeric field overflow');
    return formatDecimal(sum, scale);
  };
}

function arithmeticOf(c: BatchColumn): Arithmetic {
  if (c.sqlType === 'integer') return integerSum(INT4, 'integer');
  if (c.sqlType === 'bigint') return integerSum(INT8, 'bigint');
  if (c.sqlType === 'real') return floatSum(true);
  if (c.sqlType === 'double precision') return floatSum(false);
  const d = /^numeric\((\d+),(\d+)\)$/.exec(c.sqlType);
  if (d !== null) return decimalSum(Number(d[1]), Number(d[2]));
  throw new TypeError(`eventsmith: column ${c.name} (${c.sqlType}) cannot be incremented`);
}

// ---- the fold ----------------------------------------------------------------------------

type RowText = ColumnText[];

interface KeyState {
  /** The row as the run leaves it, or undefined when there is none. */
  row: RowText | undefined;
  /** Whether the table had the row before the run. */
  readonly existed: boolean;
  dirty: boolean;
}

/** What an assignment makes of the column's current value (same as the SQL: coalesce(col, 0) + v, coalesce(col, '{}') || v). */
function assigned(c: BatchColumn, op: BatchAssignment, current: ColumnText, value: unknown, sum: Arithmetic | undefined): ColumnText {
  if (op.op === 'set') return valueText(value, isArrayColumn(c));
  if (op.op === 'increment') {
    const v = scalarText(value);
    if (v === null || sum === undefined) return null;
    const base = typeof current === 'string' ? current : '0';
    return sum(base, v);
  }
  const base: readonly (string | null)[] = Array.isArray(current) ? current : [];
  if (op.spread !== true) return [...base, scalarText(value)];
  const more = valueText(value, true);
  return Array.isArray(more) ? [...base, ...more] : [...base];
}

/** Folds runs of rule events into their rows and writes them (see the module comment); one per batch and table. */
export class BatchFolder<E> {
  private readonly sums: (Arithmetic | undefined)[];
  private readonly loadSql: string;
  /** An expression: the rows of the keys `keys` (a query of one text column) selects, as a JSON array of LoadedRow. */
  readonly preloadSql: (keys: string) => string;
  /**
   * A query of one row, column `rows`: the rows of the keys in `keys` (a text[] expression) as a
   * JSON array of LoadedRow, leaving out keys without a row whose text is their canonical form
   * (Preloaded.keys: absent).
   */
  readonly keysSql: (keys: string) => string;
  /** The statements with their first parameter numbered `first`. */
  private readonly upsertSql: (first: number) => string;
  private readonly deleteSql: (first: number) => string;

  constructor(
    private readonly rules: ProjectionBatchRules<E>,
    table: string,
  ) {
    const { columns } = rules;
    const key = columns[rules.key];
    if (key === undefined) throw new RangeError('eventsmith: the key column index is out of range');
    const incremented = new Set(Object.values(rules.rules).flatMap((r) => (r.kind === 'delete' ? [] : r.assign.filter((a) => a.op === 'increment').map((a) => a.column))));
    this.sums = columns.map((c, i) => (incremented.has(i) ? arithmeticOf(c) : undefined));
    const t = quote(table);
    const keyCol = quote(key.name);
    const keyOf = writeExpr(key, 'k.raw');
    // The key through its column type and back: `ABC…` and `abc…` of a uuid key are one row.
    const canonical = readOf(key, `(${keyOf})`);
    // One index probe per key: a plain join is planned as a hash join over a scan of the whole
    // table (the key list's size is unknown to the planner), which grows with the table.
    const join = `LEFT JOIN LATERAL (SELECT * FROM ${t} AS t WHERE t.${keyCol} = ${keyOf} LIMIT 1) AS t ON true`;
    // json_build_array takes at most 100 arguments: wider rows are built from jsonb pieces. A key
    // without a row is three items, not a null per column (a batch of new rows is mostly those).
    const items = ['k.raw', canonical, 'true', ...columns.map((c) => readExpr(c, 't'))];
    const pieces: string[] = [];
    for (let i = 0; i < items.length; i += 90) pieces.push(items.slice(i, i + 90).join(', '));
    const build = pieces.length === 1 ? 'json_build_array' : 'jsonb_build_array';
    const row = pieces.length === 1 ? `json_build_array(${pieces[0] ?? ''})` : pieces.map((x) => `jsonb_build_array(${x})`).join(' || ');
    const loaded = `CASE WHEN t.${keyCol} IS NULL THEN ${build}(k.raw, ${canonical}, false) ELSE ${row} END`;
    this.preloadSql = (keys) => `(SELECT json_agg(${loaded}) FROM (${keys}) AS k(raw) ${join})`;
    // The rows as one JSON value: the driver parses one value, not a row of every column per key.
    // Only keys with a row or another canonical form: the others are their own canonical form, absent.
    this.keysSql = (keys) => `SELECT (SELECT json_agg(${loaded}) FILTER (WHERE t.${keyCol} IS NOT NULL OR ${canonical} IS DISTINCT FROM k.raw)
  FROM unnest(${keys}::text[]) AS k(raw) ${join}) AS rows`;
    this.loadSql = this.keysSql('$1');
    const names = columns.map((c) => quote(c.name)).join(', ');
    const updates = columns.filter((_c, i) => i !== rules.key).map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`);
    this.upsertSql = (first) => `INSERT INTO ${t} AS t (${names})
SELECT ${columns.map((c, i) => (typedParam(c) ? `u.c${i}` : writeExpr(c, `u.c${i}`))).join(', ')}
  FROM unnest(${columns.map((c, i) => `$${first + i}::${typedParam(c) ? c.sqlType : 'text'}[]`).join(', ')}) AS u(${columns.map((_c, i) => `c${i}`).join(', ')})
ON CONFLICT (${keyCol}) DO ${updates.length === 0 ? 'NOTHING' : `UPDATE SET ${updates.join(', ')}`}`;
    this.deleteSql = (first) => `DELETE FROM ${t} AS t WHERE t.${keyCol} IN (SELECT ${writeExpr(key, 'u.k')} FROM unnest($${first}::text[]) AS u(k))`;
  }

  /** True when the event's type has a rule here (else it is a custom rule's). */
  handles(type: string): boolean {
    return Object.hasOwn(this.rules.rules, type);
  }

  /**
   * Folds `events` (each of a type `handles` accepts), in order, into the rows they touch, read
   * inside the caller's transaction. Nothing is written yet: `writes` turns the result into
   * statements. Parked events are returned by index into `events`.
   */
  async fold(db: Queryable, events: readonly { readonly type: string; readonly event: ProjectionEvent<E> }[], preloaded?: Preloaded): Promise<FoldResult> {
    const { columns, key } = this.rules;
    const keyColumn = columns[key];
    if (keyColumn === undefined) throw new RangeError('eventsmith: the key column index is out of range');
    const work = events.map(({ type, event: e }) => {
      const rule = this.rules.rules[type];
      if (rule === undefined) throw new Error(`eventsmith: event ${e.eventId} (${type}) has no batch rule`);
      const input = this.rules.inputs(e);
      const raw = rule.kind === 'update' || rule.kind === 'delete' ? scalarText(input.where) : scalarText(input.values[rule.assign.findIndex((a) => a.column === key)]);
      return { rule, input, raw };
    });
    const canonical = new Map<string, string>();
    const states = new Map<string, KeyState>();
    const known = (raw: string, id: string, present: boolean, row: () => RowText): void => {
      canonical.set(raw, id);
      if (!states.has(id)) states.set(id, { row: present ? row() : undefined, existed: present, dirty: false });
    };
    for (const r of preloaded?.rows ?? []) known(String(r[0]), String(r[1]), r[2] === true, () => r.slice(3) as RowText);
    for (const raw of preloaded?.keys ?? []) if (!canonical.has(raw)) known(raw, raw, false, () => []);
    const raws = new Set<string>();
    for (const w of work) if (w.raw !== null && !canonical.has(w.raw)) raws.add(w.raw);
    if (raws.size > 0) {
      const loaded = asJson(firstRow(await db.query(prepared(this.loadSql, [[...raws]])))?.rows, 'rows');
      if (loaded !== null && !Array.isArray(loaded)) throw new TypeError('eventsmith: column rows: expected a JSON array');
      for (const r of (loaded ?? []) as readonly LoadedRow[]) known(String(r[0]), String(r[1]), r[2] === true, () => r.slice(3) as RowText);
      for (const raw of raws) if (!canonical.has(raw)) known(raw, raw, false, () => []);
    }
    const parked: ParkedEvent[] = [];
    work.forEach(({ rule, input, raw }, index) => {
      const id = raw === null ? undefined : canonical.get(raw);
      const state = id === undefined ? undefined : states.get(id);
      if (rule.kind === 'insert' || rule.kind === 'upsert') {
        if (state === undefined) {
          parked.push({ index, reason: `${rule.kind} with a null key ${keyColumn.name}` });
          return;
        }
        if (state.row !== undefined && rule.kind === 'insert') {
          parked.push({ index, reason: `insert on an existing key ${keyColumn.name} = ${id ?? ''}` });
          return;
        }
        const fresh = state.row === undefined;
        const row = state.row ?? columns.map((c) => c.initial);
        rule.assign.forEach((a, i) => {
          if (!fresh && a.column === key) return;
          const c = columns[a.column];
          if (c !== undefined) row[a.column] = assigned(c, a, row[a.column] ?? null, input.values[i], this.sums[a.column]);
        });
        row[key] = id ?? null;
        state.row = row;
        state.dirty = true;
        return;
      }
      if (state?.row === undefined) return;
      if (rule.kind === 'delete') state.row = undefined;
      else {
        const row = state.row;
        rule.assign.forEach((a, i) => {
          const c = columns[a.column];
          if (c !== undefined) row[a.column] = assigned(c, a, row[a.column] ?? null, input.values[i], this.sums[a.column]);
        });
      }
      state.dirty = true;
    });
    const deleted: string[] = [];
    const written: RowText[] = [];
    for (const [id, s] of states) {
      if (!s.dirty) continue;
      if (s.row !== undefined) written.push(s.row);
      else if (s.existed) deleted.push(id);
    }
    return { parked, deleted, written };
  }

  /**
   * The writes of a fold as data-modifying CTEs (for one statement with the checkpoint's update),
   * their parameters numbered from `$<first>`.
   */
  writes(fold: FoldResult, first: number): { readonly ctes: string[]; readonly params: unknown[] } {
    const ctes: string[] = [];
    const params: unknown[] = [];
    if (fold.deleted.length > 0) {
      ctes.push(this.deleteSql(first + params.length));
      params.push(arrayLiteral(fold.deleted));
    }
    if (fold.written.length > 0) {
      ctes.push(this.upsertSql(first + params.length));
      // Each column's values as one array literal: pg would otherwise escape element by element.
      params.push(...this.rules.columns.map((c, i) => arrayLiteral(fold.written.map((row) => columnParam(c, row[i] ?? null)))));
    }
    return { ctes: ctes.map((sql, i) => `w${i} AS (${sql})`), params };
  }
}

/** Rows read before a fold: `rows` as preloadSql or keysSql read them; with keysSql, `keys`: every key it was given. */
export interface Preloaded {
  readonly rows: readonly LoadedRow[];
  readonly keys?: Iterable<string>;
}

/** A row as preloadSql reads it: [raw key, canonical key, whether the table has it, and when it has, every column's ColumnText]. */
export type LoadedRow = readonly unknown[];

export interface FoldResult {
  readonly parked: ParkedEvent[];
  /** Canonical keys of rows to delete. */
  readonly deleted: readonly string[];
  /** Rows to write (insert or replace), every column. */
  readonly written: readonly RowText[];
}

function columnParam(c: BatchColumn, v: ColumnText): string | null {
  if (v === null || typeof v === 'string') return v;
  return isArrayColumn(c) ? arrayLiteral(v) : null;
}
