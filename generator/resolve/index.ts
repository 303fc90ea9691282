// resolve: LoadedSpec[] → one frozen Model. Every check reports a stable ES3xxx code with the
// position of the offending YAML; resolution keeps going after an error so that one run
// reports all it can, and returns no model at all when anything was wrong.
import type { Diagnostics } from '../core/diagnostics.js';
import type { Aggregate, Command, Domain, DomainEvent, Model } from '../core/model.js';
import { domainSlug } from '../core/names.js';
import type { LoadedSpec } from '../load/index.js';
import { buildAggregate } from './aggregates.js';
import { resolveAllowBreaking } from './allow-breaking.js';
import { get, isMapping, UnresolvedFields } from './context.js';
import { checkDomainClaims } from './claims.js';
import { checkCycles } from './cycles.js';
import { declareDomain, type DomainDraft } from './domain.js';
import { resolveProjections } from './projections.js';
import { resolveReactions } from './reactions.js';
import { checkSagaModuleNames } from './saga-names.js';
import type { MessageLookup } from './saga-data.js';
import { resolveSagas } from './sagas.js';
import { FieldDefaults } from './types.js';

export { modelToJson } from './model-json.js';

export function resolve(specs: readonly LoadedSpec[], diags: Diagnostics): Model | undefined {
  const unresolved = new UnresolvedFields();
  const defaults = new FieldDefaults(unresolved);
  // Sorted first so that which of two clashing declarations gets the error never depends on argument order.
  const drafts = specs
    .map((spec) => declareDomain(spec, diags, defaults, unresolved))
    .sort((a, b) => compare(a.name, b.name) || compare(a.ctx.file, b.ctx.file));
  defaults.resolveAll();

  checkAcrossDomains(drafts);
  const built = drafts.map((d) => ({ draft: d, aggregates: d.aggregates.map((a) => buildAggregate(a, d.ctx, defaults)) }));

  // Sagas and reactions name events, commands and aggregates of any domain, without the domain.
  const events = new Map<string, DomainEvent>();
  const commands = new Map<string, Command>();
  const aggregates = new Map<string, Aggregate>();
  for (const b of built) {
    for (const a of b.aggregates) {
      if (!aggregates.has(a.name)) aggregates.set(a.name, a);
      for (const e of a.events) if (!events.has(`${a.name}.${e.name}`)) events.set(`${a.name}.${e.name}`, e);
      for (const c of a.commands) if (!commands.has(`${a.name}.${c.name}`)) commands.set(`${a.name}.${c.name}`, c);
    }
  }
  const lookup: MessageLookup = { events, commands, aggregates };
  const tables = new Map<string, string>();
  const domains: Domain[] = built.map(({ draft, aggregates: aggs }) => {
    const data = isMapping(draft.ctx.spec.data) ? draft.ctx.spec.data : {};
    const sagas = resolveSagas(get(data, 'sagas'), { ctx: draft.ctx, env: defaults, lookup });
    const reactions = resolveReactions(get(data, 'reactions'), { ctx: draft.ctx, env: defaults, lookup });
    const allowBreaking = resolveAllowBreaking(data, draft.ctx);
    const named = new Map(draft.types.map((t) => [t.name, t] as const));
    const projections = resolveProjections(get(data, 'projections'), { ctx: draft.ctx, env: defaults, named, aggregates: aggs, tables });
    return {
      kind: 'domain',
      name: draft.name,
      source: draft.source,
      compatibility: draft.compatibility,
      storage: draft.storage,
      types: [...draft.types, ...draft.inlineEnums],
      aggregates: aggs,
      sagas,
      reactions,
      projections,
      ...(allowBreaking.length > 0 ? { allowBreaking } : {}),
      ...(draft.doc !== undefined ? { doc: draft.doc } : {}),
      file: draft.ctx.file,
      loc: { ...draft.ctx.loc(['domain']), path: '' },
    };
  });
  for (const d of domains) if (d.name !== '') checkDomainClaims(d, diags);
  // Cycles run through whole chains of reactions; with unresolved parts they would only echo other errors.
  if (!diags.hasErrors) checkCycles(domains, diags);
  // Only on an otherwise clean model: a duplicate reaction name is already ES3008, not also a clash.
  if (!diags.hasErrors) for (const d of domains) checkSagaModuleNames(d, diags);
  if (diags.hasErrors) return undefined;
  return deepFreeze<Model>({ kind: 'model', domains });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Names shared by every domain of a run: domains and their output folders, aggregates (saga
 * references name them without a domain), CloudEvents types of events and commands, and
 * command topics (which must not carry events too).
 */
function checkAcrossDomains(drafts: readonly DomainDraft[]): void {
  const domains = new Map<string, DomainDraft>();
  const slugs = new Map<string, DomainDraft>();
  const aggregates = new Map<string, DomainDraft>();
  const ceTypes = new Map<string, string>();
  const eventTopics = new Map<string, string>();
  for (const d of drafts) for (const a of d.aggregates) if (!eventTopics.has(a.topic)) eventTopics.set(a.topic, `${d.name}: ${a.name}`);
  for (const d of drafts) {
    if (d.name === '') continue;
    const { ctx } = d;
    const same = domains.get(d.name);
    if (same) {
      ctx.error('ES3008', `domain ${d.name} is also declared in ${same.ctx.file}; one file per domain`, ['domain']);
    } else {
      domains.set(d.name, d);
      const slug = domainSlug(d.name);
      const other = slugs.get(slug);
      if (other) {
        ctx.error('ES3021', `output name collision: domains ${other.name} and ${d.name} both write to the output folder \`${slug}\``, ['domain']);
      } else slugs.set(slug, d);
    }
    for (const a of d.aggregates) {
      const first = aggregates.get(a.name);
      if (first && first !== d) {
        const where = first.name === d.name ? first.ctx.file : `domain ${first.name}`;
        ctx.error('ES3008', `duplicate name \`${a.name}\`: aggregate ${a.name} is also declared in ${where} (sagas name aggregates without their domain)`, a.path, 'key');
      } else aggregates.set(a.name, d);
      for (const e of a.events) {
        const clash = ceTypes.get(e.ceType);
        const label = `${d.name}: ${a.name}.${e.name}`;
        if (clash) {
          ctx.error('ES3021', `output name collision: CloudEvents type \`${e.ceType}\` of ${a.name}.${e.name} is also the type of ${clash}`, e.path, 'key');
        } else ceTypes.set(e.ceType, label);
      }
      for (const c of a.commands) {
        const clash = ceTypes.get(c.ceType);
        if (clash) {
          ctx.error('ES3021', `output name collision: CloudEvents type \`${c.ceType}\` of command ${a.name}.${c.name} is also the type of ${clash}`, c.path, 'key');
        } else ceTypes.set(c.ceType, `${d.name}: command ${a.name}.${c.name}`);
      }
      const carrier = a.commands.length > 0 ? eventTopics.get(a.commandTopic) : undefined;
      if (carrier) {
        const at = get(a.spec, 'commandTopic') === undefined ? a.path : [...a.path, 'commandTopic'];
        ctx.error('ES3021', `output name collision: the command topic \`${a.commandTopic}\` of ${a.name} is also the event topic of ${carrier}; set \`commandTopic\``, at, 'key');
      }
    }
  }
}

/**
 * Freezes a graph in place, cycles included; returns it typed as read-only. An object already
 * frozen is not walked again: only this function freezes model objects, and it freezes every
 * object it reaches before it finishes, so that object's graph is frozen (or queued) already.
 * (No visited set and no symbol keys: on a 1,000-version spec this was a tenth of `resolve`.)
 */
export function deepFreeze<T>(value: T): T {
  const stack: object[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
      Object.freeze(v);
      stack.push(v);
    }
  };
  visit(value);
  for (let o = stack.pop(); o !== undefined; o = stack.pop()) {
    if (Array.isArray(o)) for (const item of o) visit(item);
    else for (const key of Object.keys(o)) visit((o as Record<string, unknown>)[key]);
  }
  return value;
}
