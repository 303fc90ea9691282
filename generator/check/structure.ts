// Identity rules: what a consumer addresses by name must keep existing and keep its name.
// Aggregates match by name across the whole project (the resolver keeps aggregate names unique
// across domains), events by aggregate and name, versions by position. A rename is a removal.
import type { Aggregate, CompatibilityMode, Domain, DomainEvent, EventVersion } from '../core/model.js';
import { formatType } from '../resolve/type-expr.js';
import type { RawFinding, Side, Where } from './findings.js';

export interface Located<T> {
  readonly node: T;
  readonly domain: Domain;
}

/** A version present in the baseline (published) and in the current spec, at the same position. */
export interface VersionPair {
  readonly index: number;
  readonly base: Located<DomainEvent> & { readonly version: EventVersion };
  readonly cur: Located<DomainEvent> & { readonly version: EventVersion; readonly aggregate: Aggregate };
}

export interface Structure {
  readonly findings: RawFinding[];
  readonly pairs: VersionPair[];
  /** `Aggregate.Event` → how many versions the baseline has (0 or absent: all versions are new). */
  readonly publishedCounts: ReadonlyMap<string, number>;
}

function aggregatesOf(side: Side): Map<string, Located<Aggregate>> {
  const out = new Map<string, Located<Aggregate>>();
  for (const domain of side.model.domains) for (const node of domain.aggregates) out.set(node.name, { node, domain });
  return out;
}

export function compareStructure(base: Side, cur: Side): Structure {
  const findings: RawFinding[] = [];
  const pairs: VersionPair[] = [];
  const publishedCounts = new Map<string, number>();
  const curAggs = aggregatesOf(cur);
  const curDomains = new Map(cur.model.domains.map((d) => [d.name, d]));
  const add = (where: Where, f: Omit<RawFinding, keyof Where>): void => {
    findings.push({ ...where, ...f });
  };
  const reported = new Set<string>();
  const once = (key: string): boolean => !reported.has(key) && Boolean(reported.add(key));

  for (const bd of base.model.domains) {
    // The same domain by name, else the one its aggregates went to (a renamed domain).
    const cd = curDomains.get(bd.name) ?? bd.aggregates.map((a) => curAggs.get(a.name)?.domain).find((d) => d !== undefined);
    if (cd !== undefined && once(`mode\0${cd.name}`)) {
      const weakened = weakening(bd.compatibility, cd.compatibility);
      if (weakened !== undefined) {
        const path = cur.index.has(cd.file, ['compatibility']) ? ['compatibility'] : ['domain'];
        add(cur.index.at(cd.file, path, 'value'), {
          rule: 'COMPATIBILITY_WEAKENED',
          path: 'compatibility',
          domain: cd.name,
          message: `compatibility of ${cd.name} weakened from ${bd.compatibility} to ${cd.compatibility}: ${weakened}, so a later version could break consumers that rely on it`,
        });
      }
    }
    for (const ba of bd.aggregates) {
      const ca = curAggs.get(ba.name);
      const aggPath = ['aggregates', ba.name];
      if (ca === undefined) {
        const where = cd !== undefined ? cur.index.at(cd.file, ['aggregates'], 'key') : base.index.at(bd.file, aggPath, 'key');
        add(where, {
          rule: 'AGGREGATE_REMOVED',
          path: `aggregates.${ba.name}`,
          domain: cd?.name ?? bd.name,
          message: `aggregate ${ba.name} was removed or renamed (path aggregates.${ba.name}); its ${ba.events.length === 1 ? 'event is' : `${ba.events.length} events are`} published`,
        });
        continue;
      }
      const file = ca.domain.file;
      if (ca.domain.name !== bd.name) {
        const renamed = !curDomains.has(bd.name);
        if (once(renamed ? `domain\0${bd.name}\0${ca.domain.name}` : `moved\0${ba.name}`)) {
          add(renamed ? cur.index.at(file, ['domain'], 'value') : cur.index.at(file, aggPath, 'key'), {
            rule: 'DOMAIN_CHANGED',
            path: renamed ? 'domain' : `aggregates.${ba.name}`,
            domain: ca.domain.name,
            message: renamed
              ? `domain renamed from ${bd.name} to ${ca.domain.name}: the Avro namespace of every event in it changes`
              : `aggregate ${ba.name} moved from domain ${bd.name} to ${ca.domain.name}: the Avro namespace of its events changes`,
          });
        }
      }
      if (ba.topic !== ca.node.topic) {
        const explicit = cur.index.has(file, [...aggPath, 'topic']);
        add(cur.index.at(file, explicit ? [...aggPath, 'topic'] : aggPath, explicit ? 'value' : 'key'), {
          rule: 'TOPIC_CHANGED',
          path: `aggregates.${ba.name}.topic`,
          domain: ca.domain.name,
          message: `topic of aggregate ${ba.name} changed from ${ba.topic} to ${ca.node.topic}${explicit ? '' : ` (the default topic follows the domain; set \`topic: ${ba.topic}\` to keep it)`}`,
        });
      }
      if (formatType(ba.idType) !== formatType(ca.node.idType)) {
        const explicit = cur.index.has(file, [...aggPath, 'id']);
        add(cur.index.at(file, explicit ? [...aggPath, 'id'] : aggPath, explicit ? 'value' : 'key'), {
          rule: 'AGGREGATE_ID_TYPE_CHANGED',
          path: `aggregates.${ba.name}.id`,
          domain: ca.domain.name,
          message: `id type of aggregate ${ba.name} (also the Kafka key) changed from ${formatType(ba.idType)} to ${formatType(ca.node.idType)}`,
        });
      }
      for (const be of ba.events) compareEvent(base, cur, { node: be, domain: bd }, ca, add, pairs, publishedCounts);
    }
  }
  return { findings, pairs, publishedCounts };
}

function compareEvent(
  base: Side,
  cur: Side,
  be: Located<DomainEvent>,
  ca: Located<Aggregate>,
  add: (where: Where, f: Omit<RawFinding, keyof Where>) => void,
  pairs: VersionPair[],
  publishedCounts: Map<string, number>,
): void {
  const file = ca.domain.file;
  const aggName = ca.node.name;
  const eventPath = ['aggregates', aggName, 'events', be.node.name];
  const ce = ca.node.events.find((e) => e.name === be.node.name);
  if (ce === undefined) {
    const elsewhere = cur.model.domains.flatMap((d) => d.aggregates).find((a) => a.events.some((e) => e.name === be.node.name));
    add(cur.index.at(file, ['aggregates', aggName, 'events'], 'key'), {
      rule: 'EVENT_REMOVED',
      path: `aggregates.${aggName}.events.${be.node.name}`,
      domain: ca.domain.name,
      message:
        `event ${aggName}.${be.node.name} was removed or renamed (path aggregates.${aggName}.events.${be.node.name}); consumers still receive and replay it` +
        (elsewhere !== undefined ? ` (${elsewhere.name} has an event of that name now: moving an event changes its CloudEvents type and stream)` : ''),
    });
    return;
  }
  publishedCounts.set(`${aggName}.${ce.name}`, be.node.versions.length);
  if (be.node.ceType !== ce.ceType) {
    add(cur.index.at(file, eventPath, 'key'), {
      rule: 'CE_TYPE_CHANGED',
      path: `aggregates.${aggName}.events.${ce.name}`,
      domain: ca.domain.name,
      message: `CloudEvents type of ${aggName}.${ce.name} changed from ${be.node.ceType} to ${ce.ceType}`,
    });
  }
  be.node.versions.forEach((bv, index) => {
    const cv = ce.versions[index];
    if (cv === undefined) {
      const path = `aggregates.${aggName}.events.${ce.name}.versions[${index}]`;
      add(cur.index.at(file, [...eventPath, 'versions'], 'key'), {
        rule: 'VERSION_REMOVED',
        path,
        domain: ca.domain.name,
        message: `version ${bv.version} of ${aggName}.${ce.name} was removed (path ${path}); data written with it still exists`,
      });
      return;
    }
    pairs.push({ index, base: { ...be, version: bv }, cur: { node: ce, domain: ca.domain, version: cv, aggregate: ca.node } });
  });
}

interface Guarantees {
  readonly backward: boolean;
  readonly forward: boolean;
  readonly transitive: boolean;
}

function guaranteesOf(mode: CompatibilityMode): Guarantees {
  return {
    backward: mode.startsWith('BACKWARD') || mode.startsWith('FULL'),
    forward: mode.startsWith('FORWARD') || mode.startsWith('FULL'),
    transitive: mode.endsWith('_TRANSITIVE'),
  };
}

/** What the new mode no longer guarantees that the old one did, or undefined if nothing. */
export function weakening(from: CompatibilityMode, to: CompatibilityMode): string | undefined {
  const a = guaranteesOf(from);
  const b = guaranteesOf(to);
  const lost: string[] = [];
  if (a.backward && !b.backward) lost.push('new versions no longer have to read data of earlier ones (backward)');
  if (a.forward && !b.forward) lost.push('earlier versions no longer have to read data of new ones (forward)');
  if (a.transitive && !b.transitive && (b.backward || b.forward)) lost.push('new versions are checked against the latest version only, not all (transitive)');
  return lost.length > 0 ? lost.join('; ') : undefined;
}
