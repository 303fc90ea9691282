// A published version (any version the baseline has) is immutable: PUBLISHED_VERSION_CHANGED
// for a change of its own fields, SHARED_TYPE_CHANGED, once, at a named type it uses that
// changed. A safety net compares the versions' Avro schemas as data (docs and namespace aside;
// the namespace is DOMAIN_CHANGED's) so no change can slip past the named differences.
import type { Domain, NamedType } from '../core/model.js';
import { avroRecordSchemaOf } from '../emit/avro-schema.js';
import type { RawFinding, Side } from './findings.js';
import { diffFields, diffNamedType, sharedTypesOf, type Change } from './signature.js';
import type { VersionPair } from './structure.js';

interface TypeChange {
  readonly domain: Domain;
  readonly type: NamedType;
  readonly changes: readonly Change[];
  /** `Aggregate.Event` → the published versions of it that use the type. */
  readonly users: Map<string, number[]>;
}

function versionLabel(p: VersionPair): string {
  return `${p.cur.aggregate.name}.${p.cur.node.name} v${p.cur.version.version}`;
}

/** `Order.OrderPlaced v1, v2, Payment.PaymentCaptured v1` (at most three events, then a count). */
function usersText(users: ReadonlyMap<string, readonly number[]>): string {
  const events = [...users].map(([event, versions]) => `${event} ${versions.map((v) => `v${v}`).join(', ')}`);
  return events.slice(0, 3).join(', ') + (events.length > 3 ? ` and ${events.length - 3} more events` : '');
}

export function comparePublished(base: Side, cur: Side, pairs: readonly VersionPair[]): RawFinding[] {
  const findings: RawFinding[] = [];
  const typeChanges = new Map<string, TypeChange>();
  for (const p of pairs) {
    const { domain, version, aggregate } = p.cur;
    const file = domain.file;
    const versionPath = ['aggregates', aggregate.name, 'events', p.cur.node.name, 'versions', p.index];
    const label = versionLabel(p);
    const changes = diffFields(p.base.version.fields, version.fields);
    for (const c of changes) {
      findings.push({
        ...(c.field ? { file, line: c.field.loc.line, col: c.field.loc.col } : cur.index.at(file, [...versionPath, 'fields'], 'key')),
        rule: 'PUBLISHED_VERSION_CHANGED',
        path: `aggregates.${aggregate.name}.events.${p.cur.node.name}.versions[${p.index}]`,
        domain: domain.name,
        message: `published ${label}: ${c.message}; published versions are immutable, add a new version instead`,
      });
    }
    const baseTypes = sharedTypesOf(p.base.version.fields);
    let typeChanged = false;
    for (const [name, ct] of sharedTypesOf(version.fields)) {
      const bt = baseTypes.get(name);
      if (bt === undefined) continue;
      const key = `${domain.name}\0${name}`;
      let tc = typeChanges.get(key);
      if (tc === undefined) {
        tc = { domain, type: ct, changes: diffNamedType(bt, ct), users: new Map() };
        typeChanges.set(key, tc);
      }
      if (tc.changes.length > 0) {
        const event = `${aggregate.name}.${p.cur.node.name}`;
        tc.users.set(event, [...(tc.users.get(event) ?? []), version.version]);
        typeChanged = true;
      }
    }
    if (changes.length === 0 && !typeChanged && !sameSchema(avroOf(p.base.version.fields, p.base.node.name), avroOf(version.fields, p.cur.node.name), false)) {
      findings.push({
        ...cur.index.at(file, versionPath, 'value'),
        rule: 'PUBLISHED_VERSION_CHANGED',
        path: `aggregates.${aggregate.name}.events.${p.cur.node.name}.versions[${p.index}]`,
        domain: domain.name,
        message: `published ${label}: its Avro schema changed; published versions are immutable, add a new version instead`,
      });
    }
  }
  for (const tc of typeChanges.values()) {
    if (tc.users.size === 0) continue;
    const typePath = ['types', tc.type.name];
    const shown = usersText(tc.users);
    for (const c of tc.changes) {
      const file = tc.domain.file;
      const where = c.field
        ? { file, line: c.field.loc.line, col: c.field.loc.col }
        : c.key !== undefined && cur.index.has(file, [...typePath, c.key])
          ? cur.index.at(file, [...typePath, c.key], 'key')
          : cur.index.at(file, tc.type.kind === 'record' && c.key === undefined ? [...typePath, 'fields'] : typePath, 'key');
      findings.push({
        ...where,
        rule: 'SHARED_TYPE_CHANGED',
        path: `types.${tc.type.name}`,
        domain: tc.domain.name,
        message: `type ${tc.type.name}, used by published ${shown}: ${c.message}; add a new type and a new version instead`,
      });
    }
  }
  return findings;
}

/** The version's Avro schema in the null namespace (the namespace is DOMAIN_CHANGED's business). */
export function avroOf(fields: Parameters<typeof avroRecordSchemaOf>[0]['fields'], name: string): unknown {
  return avroRecordSchemaOf({ name, fields }, '');
}

/** Deep equality of two schemas as JSON data, `doc` aside (except inside defaults, which are data). */
export function sameSchema(a: unknown, b: unknown, inDefault: boolean): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x: unknown, i) => sameSchema(x, b[i], inDefault));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = (r: Record<string, unknown>): string[] => Object.keys(r).filter((k) => inDefault || (k !== 'doc' && r[k] !== undefined));
  const ka = keys(ra);
  if (ka.length !== keys(rb).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameSchema(ra[k], rb[k], inDefault || k === 'default'));
}
