// Deliberate breaks: an `allowBreaking` entry covers the findings of its rule at its path. Only
// entries new since the baseline count: an entry that was already there was the reason for an
// earlier change, and letting it cover the next one would allow that silently. New entries
// that cover nothing are UNUSED_ALLOW_BREAKING warnings; entries inherited from the baseline
// are the spec's history and neither cover nor warn.
import type { AllowBreaking, Model } from '../core/model.js';
import { suggest } from '../core/names.js';
import type { Finding, RawFinding } from './findings.js';
import { checkRules } from './rules.js';

interface Entry {
  readonly entry: AllowBreaking;
  readonly domain: string;
}

function entriesOf(model: Model): Entry[] {
  return model.domains.flatMap((d) => (d.allowBreaking ?? []).map((entry) => ({ entry, domain: d.name })));
}

const keyOf = (e: AllowBreaking): string => `${e.rule}\0${e.path}\0${e.reason}`;

export function applyOptOuts(raw: readonly RawFinding[], baseline: Model, current: Model): Finding[] {
  const inheritedKeys = new Set(entriesOf(baseline).map((e) => keyOf(e.entry)));
  const all = entriesOf(current);
  const active = all.filter((e) => !inheritedKeys.has(keyOf(e.entry)));
  const inherited = all.filter((e) => inheritedKeys.has(keyOf(e.entry)));
  const domains = new Set(current.domains.map((d) => d.name));
  // A finding belongs to its domain's spec file; one whose domain is gone altogether may be
  // opted out of in any spec file, since there is no file of its own left to write it in.
  const covers = (e: Entry, f: RawFinding): boolean => e.entry.rule === f.rule && e.entry.path === f.path && (e.domain === f.domain || !domains.has(f.domain));
  const used = new Set<Entry>();
  const out: Finding[] = raw.map((f) => {
    // A warning rule (a projection to rebuild, ...) never fails the check, so there is nothing to opt out of.
    if (checkRules[f.rule].severity === 'warning') return { ...f, status: 'warning' };
    const entry = active.find((e) => covers(e, f));
    if (entry !== undefined) {
      used.add(entry);
      const { file, line, col } = entry.entry.loc;
      return { ...f, status: 'allowed', allowedBy: { file, line, col, reason: entry.entry.reason } };
    }
    const old = inherited.find((e) => covers(e, f));
    const hint = old === undefined ? '' : ` (the allowBreaking entry at ${old.entry.loc.file}:${old.entry.loc.line} was already in the baseline and covered an earlier change; add an entry with the reason for this one)`;
    return { ...f, message: f.message + hint, status: 'breaking' };
  });
  for (const e of active) {
    // Command versions are gated by generate and validate (check/mode-gate.ts); check has no
    // command rules to match them, so an entry there is not "unused".
    if (used.has(e) || /\.commands\.[^.]+\.versions\[\d+\]$/.test(e.entry.path)) continue;
    const { entry } = e;
    const candidates = raw.filter((f) => f.rule === entry.rule).map((f) => f.path);
    const near = suggest(entry.path, candidates);
    const hint = near !== undefined ? `; did you mean ${near}?` : candidates.length === 0 ? `; the check finds no ${entry.rule} at all` : '';
    out.push({
      file: entry.loc.file,
      line: entry.loc.line,
      col: entry.loc.col,
      rule: 'UNUSED_ALLOW_BREAKING',
      path: entry.path,
      domain: e.domain,
      status: 'warning',
      message: `allowBreaking entry for ${entry.rule} at ${entry.path} matches no finding${hint}; remove it`,
    });
  }
  return out;
}
