// `eventsmith check`: compare the model of a baseline (what is published) with the current one
// and report every breaking change under a stable rule id, at the YAML that causes it. Pure:
// the CLI (generator/cli/check.ts) reads the baseline and the specs and renders the report.
import type { Model } from '../core/model.js';
import type { LoadedSpec } from '../load/index.js';
import { applyOptOuts } from './allow.js';
import { specIndex, type Finding } from './findings.js';
import { compareCommands } from './commands.js';
import { checkNewVersions } from './modes.js';
import { compareProjections } from './projections.js';
import { comparePublished } from './published.js';
import { compareReplay } from './replay.js';
import { replayRecordOf } from './replay-record.js';
import { compareSagas } from './sagas.js';
import { compareStructure } from './structure.js';

export { checkRules, isRuleId, optOutRuleIds, ruleIds, versionRuleIds } from './rules.js';
export type { CheckRule, RuleId } from './rules.js';
export type { Finding, FindingStatus, ModeConflictDetail, ModeIncompatibility, Where } from './findings.js';
export { checkFormats, renderCheck, renderCheckErrors, type CheckFormat } from './render.js';
export type { CiFormatOptions } from './ci-formats.js';

export interface CheckInput {
  readonly model: Model;
  readonly specs: readonly LoadedSpec[];
}

export interface CheckOptions {
  /**
   * How to show a baseline spec's file name, for the rare finding that can only point into the
   * baseline (an aggregate whose whole spec file is gone). Default: as the baseline names it.
   */
  readonly baselineFile?: (file: string) => string;
}

export interface CheckReport {
  /** Sorted by file, position and rule. */
  readonly findings: readonly Finding[];
  readonly breaking: number;
  readonly allowed: number;
  readonly warnings: number;
  /** Event versions the baseline has (all of them count as published). */
  readonly published: number;
  /** Event versions of the current spec that the baseline does not have. */
  readonly added: number;
}

export function checkModels(baseline: CheckInput, current: CheckInput, opts: CheckOptions = {}): CheckReport {
  const base = { model: baseline.model, index: specIndex(baseline.specs, opts.baselineFile) };
  const cur = { model: current.model, index: specIndex(current.specs) };
  const structure = compareStructure(base, cur);
  const raw = [
    ...structure.findings,
    ...comparePublished(base, cur, structure.pairs),
    ...checkNewVersions(cur, structure.publishedCounts),
    ...compareCommands(base, cur),
    ...compareSagas(base, cur),
    ...compareReplay(replayRecordOf(baseline.model), cur),
    ...compareProjections(base, cur),
  ];
  const findings = applyOptOuts(raw, baseline.model, current.model).sort(
    (a, b) => compare(a.file, b.file) || a.line - b.line || a.col - b.col || compare(a.rule, b.rule) || compare(a.message, b.message),
  );
  const count = (m: Model): number => m.domains.reduce((n, d) => n + d.aggregates.reduce((k, a) => k + a.events.reduce((j, e) => j + e.versions.length, 0), 0), 0);
  const published = count(baseline.model);
  const currentCount = count(current.model);
  return {
    findings,
    breaking: findings.filter((f) => f.status === 'breaking').length,
    allowed: findings.filter((f) => f.status === 'allowed').length,
    warnings: findings.filter((f) => f.status === 'warning').length,
    published,
    added: currentCount - structure.pairs.length,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
