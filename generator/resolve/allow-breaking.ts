// `allowBreaking` entries: deliberate breaking changes for `eventsmith check`, at the top level
// (with an explicit path, for things that no longer exist) and under event and command versions. The JSON
// Schema has checked their shape and rule ids already; this reads them into the model, with
// each per-version entry's path set to its version so check matches both kinds the same way.
import type { AllowBreaking } from '../core/model.js';
import { formatPath } from '../load/path.js';
import { asString, entriesOf, get, type Path, type SpecContext } from './context.js';

export function resolveAllowBreaking(data: unknown, ctx: SpecContext): AllowBreaking[] {
  const out: AllowBreaking[] = [];
  const read = (list: unknown, at: Path, target: string | undefined): void => {
    if (!Array.isArray(list)) return;
    list.forEach((entry: unknown, i) => {
      const rule = asString(get(entry, 'rule'));
      const path = target ?? asString(get(entry, 'path'));
      const reason = asString(get(entry, 'reason'));
      if (rule === undefined || path === undefined || reason === undefined) return;
      out.push({ kind: 'allowBreaking', rule, path, reason: reason.trim(), declaredOn: target === undefined ? 'spec' : 'version', loc: ctx.loc([...at, i], 'value') });
    });
  };
  read(get(data, 'allowBreaking'), ['allowBreaking'], undefined);
  for (const [aggregate, aggSpec] of entriesOf(get(data, 'aggregates'))) {
    for (const list of ['events', 'commands'] as const) {
      for (const [message, messageSpec] of entriesOf(get(aggSpec, list))) {
        const versions = get(messageSpec, 'versions');
        if (!Array.isArray(versions)) continue;
        versions.forEach((v: unknown, i) => {
          const path: Path = ['aggregates', aggregate, list, message, 'versions', i];
          read(get(v, 'allowBreaking'), [...path, 'allowBreaking'], formatPath(path));
        });
      }
    }
  }
  return out.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
}
