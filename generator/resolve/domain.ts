// One spec file → one domain: its header, named types, aggregates and the output names they
// claim. Sagas are resolved later, when the events of every domain are known.
import type { Diagnostics } from '../core/diagnostics.js';
import type { CompatibilityMode, EnumType, Field, NamedType, RecordType, Storage, StorageEncoding } from '../core/model.js';
import { namePatterns } from '../core/names.js';
import type { LoadedSpec } from '../load/index.js';
import { declareAggregate, type AggregateDraft } from './aggregates.js';
import { asString, describeValue, entriesOf, get, isMapping, SpecContext, type UnresolvedFields } from './context.js';
import { maxSchemaNesting, schemaNesting, type Nesting } from './nesting.js';
import { findUnbounded } from './recursion.js';
import { declareType, resolveRecordFields, type DeclaredType, type FieldDefaults, type TypeScope } from './types.js';

export const compatibilityModes: readonly CompatibilityMode[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];

export interface DomainDraft {
  readonly ctx: SpecContext;
  readonly name: string;
  readonly source: string;
  readonly compatibility: CompatibilityMode;
  readonly storage: Storage;
  readonly doc?: string;
  readonly types: readonly NamedType[];
  readonly inlineEnums: readonly EnumType[];
  readonly aggregates: readonly AggregateDraft[];
}

export function declareDomain(spec: LoadedSpec, diags: Diagnostics, defaults: FieldDefaults, unresolved: UnresolvedFields): DomainDraft {
  const ctx = new SpecContext(spec, diags, unresolved);
  const data = isMapping(spec.data) ? spec.data : {};
  const rawName = get(data, 'domain');
  const name = typeof rawName === 'string' ? rawName : '';
  if (!namePatterns.domain.test(name)) {
    const shown = rawName === undefined ? 'is missing' : `${describeValue(rawName)} is not valid`;
    ctx.error('ES3016', `domain name ${shown}: expected dot-separated lower-case segments such as com.example.orders`, ['domain']);
  }
  const rawSource = get(data, 'source');
  const source = typeof rawSource === 'string' ? rawSource : '';
  if (!/^[^\s\u0000-\u001f\u007f]+$/.test(source)) {
    const shown = rawSource === undefined ? 'is missing' : `${describeValue(rawSource)} is not valid`;
    ctx.error('ES3017', `CloudEvents source ${shown}: expected a non-empty URI reference without spaces, such as urn:example:order-service`, ['source']);
  }
  const rawCompat = get(data, 'compatibility') ?? 'BACKWARD';
  const compatibility = compatibilityModes.find((m) => m === rawCompat);
  if (!compatibility) {
    ctx.error('ES2005', `compatibility ${describeValue(rawCompat)} is not one of ${compatibilityModes.join(', ')}`, ['compatibility']);
  }

  const storage = resolveStorage(get(data, 'storage'), ctx);

  const rawAggregates = get(data, 'aggregates');
  const named = new Map<string, NamedType>();
  const scope: TypeScope = {
    ctx,
    named,
    aggregateNames: new Set(isMapping(rawAggregates) ? Object.keys(rawAggregates) : []),
    defaults,
    inlineEnums: [],
  };
  const declared: DeclaredType[] = [];
  for (const [typeName, typeSpec] of entriesOf(get(data, 'types'))) {
    const d = declareType(typeName, typeSpec, ['types', typeName], scope);
    if (!d) continue;
    declared.push(d);
    named.set(typeName, d.type);
  }
  for (const d of declared) resolveRecordFields(d, scope);
  for (const u of findUnbounded(declared.map((d) => d.type))) {
    ctx.error('ES3009', `type ${u.type.name} has no finite value: ${u.reason}; make one of these fields optional, a list or a map`, ['types', u.type.name], 'key');
  }

  if (!isMapping(rawAggregates) || Object.keys(rawAggregates).length === 0) {
    ctx.error('ES2003', 'a spec needs at least one aggregate under `aggregates`', rawAggregates === undefined ? [] : ['aggregates'], 'key');
  }
  const aggregates: AggregateDraft[] = [];
  for (const [aggName, aggSpec] of entriesOf(rawAggregates)) {
    const path = ['aggregates', aggName];
    const a = declareAggregate(name, aggName, aggSpec, path, scope);
    if (a) aggregates.push(a);
  }
  if (checkNesting(aggregates, ctx)) defaults.disable();
  const doc = asString(get(data, 'doc'));
  return {
    ctx,
    name,
    source,
    compatibility: compatibility ?? 'BACKWARD',
    storage,
    ...(doc !== undefined ? { doc } : {}),
    types: declared.map((d) => d.type),
    inlineEnums: scope.inlineEnums,
    aggregates,
  };
}

const storageEncodings: readonly StorageEncoding[] = ['avro', 'json'];

/** `storage: { encoding }`, default Avro binary. The schema has checked the shape already. */
function resolveStorage(raw: unknown, ctx: SpecContext): Storage {
  const rawEncoding = isMapping(raw) ? (get(raw, 'encoding') ?? 'avro') : 'avro';
  const encoding = storageEncodings.find((e) => e === rawEncoding);
  if (!encoding) ctx.error('ES2005', `storage encoding ${describeValue(rawEncoding)} is not one of ${storageEncodings.join(', ')}`, ['storage', 'encoding']);
  return { kind: 'storage', encoding: encoding ?? 'avro' };
}

/**
 * Every Avro schema the domain's output holds (message versions, and states for snapshots)
 * must nest less than maxSchemaNesting levels. True when one does not: resolving defaults
 * through such a chain would recurse as deep, so the caller skips it.
 */
function checkNesting(aggregates: readonly AggregateDraft[], ctx: SpecContext): boolean {
  const memo = new Map<RecordType, Nesting>();
  let tooDeep = false;
  const check = (fields: readonly Field[], what: string, path: readonly (string | number)[]): void => {
    const n = schemaNesting(fields, memo);
    if (n.depth <= maxSchemaNesting) return;
    tooDeep = true;
    const chain = n.chain.length > 0 ? ` through ${n.chain.join(' → ')}${n.chain.length >= 9 ? ' → …' : ''}` : '';
    ctx.error(
      'ES3035',
      `the Avro schema of ${what} nests ${n.depth} levels deep${chain}; the limit is ${maxSchemaNesting} (a record counts 3, a list, map, optional or logical type 1), beyond which TypeScript cannot check the generated schema; flatten the chain of types`,
      path,
      'key',
    );
  };
  for (const a of aggregates) {
    if (a.state.length > 0) check(a.state, `the state of ${a.name}`, [...a.path, 'state']);
    for (const m of [...a.events, ...a.commands]) {
      for (const v of m.versions) check(v.fields, `${a.name}.${m.name} v${v.version}`, v.path);
    }
  }
  return tooDeep;
}
