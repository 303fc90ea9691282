// MODE_VIOLATION: every version the baseline does not have is checked against the earlier
// versions under the domain's declared mode, with the Avro schemas `generate` writes and the
// compatibility engine of `eventsmith compat`. One finding per conflicting earlier version, so a
// _TRANSITIVE mode names the version that actually conflicts. `generate` and `validate` run the
// same rule over every version of every event and command (checkAllVersions): there is no
// baseline there, so the whole history must hold, with the spec's `allowBreaking` entries.
import type { Aggregate, Domain, Message, MessageVersion } from '../core/model.js';
import { checkModeNodes, parseSchema, type AvroNode } from '../compat/index.js';
import { versionSchemaOf } from '../emit/avro-schema.js';
import { explainIncompatibility, type ModeIncompatibility, type RawFinding, type Side, type Where } from './findings.js';

export function checkNewVersions(cur: Side, publishedCounts: ReadonlyMap<string, number>): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const domain of cur.model.domains) {
    if (domain.compatibility === 'NONE') continue;
    for (const aggregate of domain.aggregates) {
      for (const event of aggregate.events) {
        const published = publishedCounts.get(`${aggregate.name}.${event.name}`) ?? 0;
        const firstNew = Math.max(1, published);
        if (event.versions.length <= firstNew) continue;
        findings.push(...checkMessage(cur, domain, aggregate, event, firstNew));
      }
    }
  }
  return findings;
}

/** MODE_VIOLATION over the whole history: every version from v2 on, of events and commands. */
export function checkAllVersions(cur: Side): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const domain of cur.model.domains) {
    if (domain.compatibility === 'NONE') continue;
    for (const aggregate of domain.aggregates) {
      for (const message of [...aggregate.events, ...aggregate.commands]) {
        if (message.versions.length > 1) findings.push(...checkMessage(cur, domain, aggregate, message, 1));
      }
    }
  }
  return findings;
}

function checkMessage(cur: Side, domain: Domain, aggregate: Aggregate, message: Message, firstNew: number): RawFinding[] {
  const nodes = message.versions.map((v) => parseSchema(versionSchemaOf(v, message, domain), `${message.name} v${v.version}`));
  const findings: RawFinding[] = [];
  for (let i = firstNew; i < message.versions.length; i++) findings.push(...checkVersion(cur, domain, aggregate, message, i, nodes));
  return findings;
}

function checkVersion(cur: Side, domain: Domain, aggregate: Aggregate, event: Message, i: number, nodes: readonly AvroNode[]): RawFinding[] {
  const next = nodes[i];
  const version = event.versions[i];
  if (next === undefined || version === undefined) return [];
  const result = checkModeNodes(domain.compatibility, next, nodes.slice(0, i));
  const byEarlier = new Map<number, ModeIncompatibility[]>();
  for (const c of result.conflicts) {
    const list = byEarlier.get(c.previousIndex) ?? [];
    for (const inc of c.incompatibilities) list.push({ direction: c.direction, type: inc.type, location: inc.location, message: inc.message });
    byEarlier.set(c.previousIndex, list);
  }
  const list = event.kind === 'command' ? 'commands' : 'events';
  const versionPath = ['aggregates', aggregate.name, list, event.name, 'versions', i];
  const findings: RawFinding[] = [];
  for (const [earlierIndex, incompatibilities] of byEarlier) {
    const earlier = event.versions[earlierIndex];
    if (earlier === undefined) continue;
    const first = incompatibilities[0];
    const more = incompatibilities.length > 1 ? ` (and ${incompatibilities.length - 1} more)` : '';
    const explain = first === undefined ? '' : `: ${explainIncompatibility(first, version.version, earlier.version)}${more}`;
    findings.push({
      ...locate(cur, domain, versionPath, version, earlier, first),
      rule: 'MODE_VIOLATION',
      path: `aggregates.${aggregate.name}.${list}.${event.name}.versions[${i}]`,
      domain: domain.name,
      message: `${event.kind === 'command' ? 'command ' : ''}${aggregate.name}.${event.name} v${version.version} is not ${domain.compatibility} compatible with v${earlier.version}${explain}`,
      conflict: { mode: domain.compatibility, version: version.version, against: earlier.version, incompatibilities },
    });
  }
  return findings;
}

/**
 * The field of the new version the first incompatibility is about, when there is one: the
 * pointer is into the reader's schema, which is the new version for backward and the earlier
 * one for forward (then the field of the same name, if the new version still has it).
 */
function locate(cur: Side, domain: Domain, versionPath: readonly (string | number)[], version: MessageVersion, earlier: MessageVersion, first: ModeIncompatibility | undefined): Where {
  const m = first === undefined ? null : /^\/fields\/(\d+)(\/|$)/.exec(first.location);
  if (first !== undefined && m !== null) {
    const pos = Number(m[1]);
    const readerField = (first.direction === 'backward' ? version : earlier).fields[pos];
    const field = readerField === undefined ? undefined : version.fields.find((f) => f.name === readerField.name);
    if (field !== undefined) return { file: domain.file, line: field.loc.line, col: field.loc.col };
    return cur.index.at(domain.file, [...versionPath, 'fields'], 'key');
  }
  return cur.index.at(domain.file, versionPath, 'value');
}
