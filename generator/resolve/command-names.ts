// The TypeScript names commands add to a domain's type namespace (types.ts): each command's
// latest-version type, its versions, the events its decider may return, and per aggregate the
// command unions. Claimed beside the event names so that a clash is an error, not bad output.
import { commandAnyVersionUnionTypeName, commandUnionTypeName, emitsTypeName } from '../core/names-commands.js';
import type { AggregateDraft } from './aggregates.js';
import type { NameTable } from './collisions.js';
import type { SpecContext } from './context.js';

export function claimCommandNames(a: AggregateDraft, table: NameTable, ctx: SpecContext): void {
  if (a.commands.length === 0) return;
  const at = ctx.loc(a.path);
  table.add(commandUnionTypeName(a.name), `the command union of aggregate ${a.name}`, false, at);
  table.add(commandAnyVersionUnionTypeName(a.name), `the any-version command union of aggregate ${a.name}`, false, at);
  for (const c of a.commands) {
    const where = ctx.loc(c.path);
    table.add(c.name, `the latest-version type of command ${a.name}.${c.name}`, false, where);
    table.add(emitsTypeName(c.name), `the type of what command ${a.name}.${c.name} emits`, false, where);
    for (const v of c.versions) table.add(v.typeName, `version ${v.version} of command ${a.name}.${c.name}`, false, ctx.loc(v.path, 'value'));
  }
}
