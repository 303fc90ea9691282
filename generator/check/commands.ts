// Command rules: a command is a published contract like an event (senders in other services
// encode it, the receiving aggregate decodes every version it was ever sent as), so the event
// rules apply to it under COMMAND_* ids: a published version is immutable, a removed command or
// version strands the commands still in Kafka, a new version keeps the compatibility mode, and
// its CloudEvents type and topic are how senders reach it. Commands match by aggregate and name,
// versions by position, as events do.
import type { Aggregate, Command, Domain } from '../core/model.js';
import { checkModeNodes, parseSchema } from '../compat/index.js';
import { versionSchemaOf } from '../emit/avro-schema.js';
import { explainIncompatibility, type RawFinding, type Side } from './findings.js';
import { avroOf, sameSchema } from './published.js';
import { diffFields } from './signature.js';

interface Located {
  readonly aggregate: Aggregate;
  readonly domain: Domain;
}

/** Every aggregate of a side by name, with its domain (commands.ts and replay.ts compare by aggregate). */
export function aggregatesOf(side: Side): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const domain of side.model.domains) for (const aggregate of domain.aggregates) out.set(aggregate.name, { aggregate, domain });
  return out;
}

export function compareCommands(base: Side, cur: Side): RawFinding[] {
  const findings: RawFinding[] = [];
  const curAggs = aggregatesOf(cur);
  for (const [name, b] of aggregatesOf(base)) {
    const c = curAggs.get(name);
    // A removed aggregate is AGGREGATE_REMOVED's finding, commands and all.
    if (c === undefined) continue;
    const file = c.domain.file;
    const aggPath = ['aggregates', name];
    if (b.aggregate.commands.length > 0 && b.aggregate.commandTopic !== c.aggregate.commandTopic) {
      const explicit = cur.index.has(file, [...aggPath, 'commandTopic']);
      findings.push({
        ...cur.index.at(file, explicit ? [...aggPath, 'commandTopic'] : aggPath, explicit ? 'value' : 'key'),
        rule: 'COMMAND_TOPIC_CHANGED',
        path: `aggregates.${name}.commandTopic`,
        domain: c.domain.name,
        message: `command topic of aggregate ${name} changed from ${b.aggregate.commandTopic} to ${c.aggregate.commandTopic}; senders and commands still in Kafka use the old one${explicit ? '' : ` (set \`commandTopic: ${b.aggregate.commandTopic}\` to keep it)`}`,
      });
    }
    for (const bc of b.aggregate.commands) {
      const cc = c.aggregate.commands.find((x) => x.name === bc.name);
      const commandPath = [...aggPath, 'commands', bc.name];
      const logical = `aggregates.${name}.commands.${bc.name}`;
      if (cc === undefined) {
        findings.push({
          ...cur.index.at(file, cur.index.has(file, [...aggPath, 'commands']) ? [...aggPath, 'commands'] : aggPath, 'key'),
          rule: 'COMMAND_REMOVED',
          path: logical,
          domain: c.domain.name,
          message: `command ${name}.${bc.name} was removed or renamed (path ${logical}); senders still send it and commands in Kafka wait to be decided`,
        });
        continue;
      }
      if (bc.ceType !== cc.ceType) {
        findings.push({
          ...cur.index.at(file, commandPath, 'key'),
          rule: 'COMMAND_CE_TYPE_CHANGED',
          path: logical,
          domain: c.domain.name,
          message: `CloudEvents type of command ${name}.${cc.name} changed from ${bc.ceType} to ${cc.ceType}`,
        });
      }
      findings.push(...compareVersions(cur, c, bc, cc));
      findings.push(...checkNewCommandVersions(cur, c, cc, bc.versions.length));
    }
    // Commands new since the baseline: their versions after v1 still keep the mode among themselves.
    for (const cc of c.aggregate.commands) {
      if (!b.aggregate.commands.some((x) => x.name === cc.name)) findings.push(...checkNewCommandVersions(cur, c, cc, 1));
    }
  }
  // Aggregates new since the baseline.
  const baseAggs = aggregatesOf(base);
  for (const [name, c] of curAggs) {
    if (baseAggs.has(name)) continue;
    for (const cc of c.aggregate.commands) findings.push(...checkNewCommandVersions(cur, c, cc, 1));
  }
  return findings;
}

function compareVersions(cur: Side, c: Located, bc: Command, cc: Command): RawFinding[] {
  const findings: RawFinding[] = [];
  const file = c.domain.file;
  const name = c.aggregate.name;
  bc.versions.forEach((bv, index) => {
    const path = `aggregates.${name}.commands.${cc.name}.versions[${index}]`;
    const versionPath = ['aggregates', name, 'commands', cc.name, 'versions', index];
    const cv = cc.versions[index];
    if (cv === undefined) {
      findings.push({
        ...cur.index.at(file, ['aggregates', name, 'commands', cc.name, 'versions'], 'key'),
        rule: 'COMMAND_VERSION_REMOVED',
        path,
        domain: c.domain.name,
        message: `version ${bv.version} of command ${name}.${cc.name} was removed (path ${path}); senders may still send it`,
      });
      return;
    }
    const label = `${name}.${cc.name} v${cv.version}`;
    const changes = diffFields(bv.fields, cv.fields);
    for (const ch of changes) {
      findings.push({
        ...(ch.field ? { file, line: ch.field.loc.line, col: ch.field.loc.col } : cur.index.at(file, [...versionPath, 'fields'], 'key')),
        rule: 'COMMAND_VERSION_CHANGED',
        path,
        domain: c.domain.name,
        message: `published command ${label}: ${ch.message}; published versions are immutable, add a new version instead`,
      });
    }
    if (changes.length === 0 && !sameSchema(avroOf(bv.fields, bc.name), avroOf(cv.fields, cc.name), false)) {
      findings.push({
        ...cur.index.at(file, versionPath, 'value'),
        rule: 'COMMAND_VERSION_CHANGED',
        path,
        domain: c.domain.name,
        message: `published command ${label}: its Avro schema changed (a named type it uses changed); published versions are immutable, add a new version instead`,
      });
    }
  });
  return findings;
}

/** Versions from index `published` on (the baseline lacks them) against the earlier ones, under the domain's mode. */
function checkNewCommandVersions(cur: Side, c: Located, command: Command, published: number): RawFinding[] {
  const { domain } = c;
  const firstNew = Math.max(1, published);
  if (domain.compatibility === 'NONE' || command.versions.length <= firstNew) return [];
  const nodes = command.versions.map((v) => parseSchema(versionSchemaOf(v, command, domain), `${command.name} v${v.version}`));
  const findings: RawFinding[] = [];
  for (let i = firstNew; i < command.versions.length; i++) {
    const next = nodes[i];
    const version = command.versions[i];
    if (next === undefined || version === undefined) continue;
    const result = checkModeNodes(domain.compatibility, next, nodes.slice(0, i));
    const seen = new Set<number>();
    for (const conflict of result.conflicts) {
      if (seen.has(conflict.previousIndex)) continue;
      seen.add(conflict.previousIndex);
      const earlier = command.versions[conflict.previousIndex];
      const first = conflict.incompatibilities[0];
      if (earlier === undefined || first === undefined) continue;
      const why = explainIncompatibility({ direction: conflict.direction, type: first.type, location: first.location, message: first.message }, version.version, earlier.version);
      findings.push({
        ...cur.index.at(domain.file, ['aggregates', c.aggregate.name, 'commands', command.name, 'versions', i], 'value'),
        rule: 'COMMAND_MODE_VIOLATION',
        path: `aggregates.${c.aggregate.name}.commands.${command.name}.versions[${i}]`,
        domain: domain.name,
        message: `command ${c.aggregate.name}.${command.name} v${version.version} is not ${domain.compatibility} compatible with v${earlier.version}: ${why}`,
      });
    }
  }
  return findings;
}
