// Reactions (choreography): `on: <event>` → `send: <command>`, with the command's target and
// data read from the triggering event (`$.field`, `$aggregateId`).
import type { Reaction } from '../core/model.js';
import { defaultReactionName } from '../core/names-commands.js';
import { nameProblem } from '../core/names.js';
import { asString, get, isMapping, type Path, type SpecContext } from './context.js';
import type { ValueEnv } from './defaults.js';
import { aggregateIdType, commandRef, eventRef, resolveSend, type MessageLookup } from './saga-data.js';

export interface ReactionScope {
  readonly ctx: SpecContext;
  readonly env: ValueEnv;
  readonly lookup: MessageLookup;
}

export function resolveReactions(raw: unknown, scope: ReactionScope): Reaction[] {
  const { ctx, lookup } = scope;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    ctx.error('ES2004', 'reactions must be a list of { on, send } mappings', ['reactions']);
    return [];
  }
  const reactions: Reaction[] = [];
  const names = new Set<string>();
  raw.forEach((spec: unknown, i) => {
    const path: Path = ['reactions', i];
    if (!isMapping(spec)) {
      ctx.error('ES2004', 'a reaction is a mapping with on and send', path);
      return;
    }
    const on = eventRef(get(spec, 'on'), [...path, 'on'], ctx, lookup);
    const command = commandRef(get(spec, 'send'), [...path, 'send'], ctx, lookup);
    const explicit = asString(get(spec, 'name'));
    const name = explicit ?? (on && command ? defaultReactionName(on.name, command.name) : '');
    if (explicit !== undefined) {
      const problem = nameProblem('reaction', explicit);
      if (problem) ctx.error('ES3007', problem, [...path, 'name']);
    }
    if (name !== '' && names.has(name)) {
      const fix = explicit === undefined ? '; give one of them a `name`' : '';
      ctx.error('ES3008', `reaction name \`${name}\` is used twice in this spec${fix}`, explicit === undefined ? path : [...path, 'name']);
    }
    names.add(name);
    if (!on || !command) return;
    const idType = aggregateIdType(lookup, on.aggregateName);
    const send = resolveSend(
      { command: get(spec, 'send'), commandPath: [...path, 'send'], to: get(spec, 'to'), data: get(spec, 'data'), path },
      command,
      { text: '$aggregateId', expr: { kind: 'aggregateId', source: { kind: 'trigger' }, type: idType }, type: idType },
      { ctx, env: scope.env, trigger: { event: on, idType }, where: `reaction ${name}` },
      lookup,
    );
    if (!send) return;
    const doc = asString(get(spec, 'doc'));
    reactions.push({ kind: 'reaction', name, on, send, ...(doc !== undefined ? { doc } : {}), loc: ctx.loc(path, 'value') });
  });
  return reactions;
}
