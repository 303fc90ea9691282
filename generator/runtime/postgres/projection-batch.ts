/**
 * One round trip per batch for write-only projection rules. A batch of 1,000 events applied one
 * statement at a time costs 1,000 round trips, which dominates everything else. The runner hands
 * the generated `apply` this collector instead of the transaction: it records each statement with
 * its parameters, and `flush` sends them all as one simple-protocol query, in order, inside the
 * batch's transaction, with every parameter written as a quoted literal. The generated SQL casts
 * every parameter to its column type (`$3::numeric(12,2)`), so `'12.50'::numeric(12,2)` is exactly
 * what the parameter would have been.
 */
import type { NamedStatement, Queryable, QueryResultLike } from './db.js';

/** A string as a SQL literal; backslashes force the E'' form, whatever standard_conforming_strings says. */
export function sqlLiteral(text: string): string {
  let out = '';
  let backslash = false;
  for (const ch of text) {
    if (ch === "'") out += "''";
    else if (ch === '\\') {
      out += '\\\\';
      backslash = true;
    } else out += ch;
  }
  return backslash ? ` E'${out}'` : `'${out}'`;
}

function hex(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** An array element in PostgreSQL's array text format. */
function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return arrayText(v);
  return `"${scalarText(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function arrayText(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

function scalarText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new TypeError(`eventsmith: cannot write ${typeof v} as a SQL literal`);
}

/** A parameter value (as sqlValue made it) as a literal. */
export function literalOf(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return sqlLiteral(arrayText(v));
  return sqlLiteral(scalarText(v));
}

/** `$n` placeholders of generated rule SQL replaced by literals (the rule SQL has no other `$`). */
export function inlineParams(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_m, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`eventsmith: statement refers to $${n} of ${params.length} parameters`);
    return literalOf(params[i]);
  });
}

const EMPTY: QueryResultLike = { rows: [], rowCount: 0 };

export class StatementCollector implements Queryable {
  private readonly statements: string[] = [];

  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
  query(statement: NamedStatement): Promise<QueryResultLike>;
  query(textOrStatement: string | NamedStatement, values?: unknown[]): Promise<QueryResultLike> {
    const [text, params] = typeof textOrStatement === 'string' ? [textOrStatement, values ?? []] : [textOrStatement.text, textOrStatement.values];
    this.statements.push(inlineParams(text, params));
    return Promise.resolve(EMPTY);
  }

  /** Sends what was collected, in order, as one query. */
  async flush(db: Queryable): Promise<void> {
    if (this.statements.length === 0) return;
    const text = this.statements.join(';\n');
    this.statements.length = 0;
    await db.query(text);
  }
}
