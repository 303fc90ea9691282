// The three output formats of `eventsmith check`, on reports built by hand: the exact line
// formats, GitHub workflow command escaping, and the JSON object's stable shape.
import { describe, expect, it } from 'vitest';
import { renderCheck, renderCheckErrors, type CheckReport, type Finding } from '../../generator/check/index.js';

const breaking: Finding = {
  rule: 'TOPIC_CHANGED',
  status: 'breaking',
  message: 'topic of aggregate Order changed from a to b: 100% sure\nsecond line',
  file: 'specs/a,b:c.yaml',
  line: 3,
  col: 7,
  path: 'aggregates.Order.topic',
  domain: 'com.example.t',
};
const allowed: Finding = {
  ...breaking,
  rule: 'EVENT_REMOVED',
  status: 'allowed',
  message: 'event Order.X was removed',
  file: 't.yaml',
  path: 'aggregates.Order.events.X',
  allowedBy: { file: 't.yaml', line: 30, col: 5, reason: 'Never published, see ADR-1' },
};
const warning: Finding = { ...allowed, rule: 'UNUSED_ALLOW_BREAKING', status: 'warning', message: 'allowBreaking entry matches no finding', allowedBy: undefined };
const report = (findings: Finding[]): CheckReport => ({
  findings,
  breaking: findings.filter((f) => f.status === 'breaking').length,
  allowed: findings.filter((f) => f.status === 'allowed').length,
  warnings: findings.filter((f) => f.status === 'warning').length,
  published: 12,
  added: 1,
});

describe('text', () => {
  it('prints one line per finding, path:line:col: message (RULE_ID), allowed ones with their reason, then a summary', () => {
    expect(renderCheck(report([breaking, allowed, warning]), 'text', 'origin/main').split('\n')).toEqual([
      'specs/a,b:c.yaml:3:7: topic of aggregate Order changed from a to b: 100% sure second line (TOPIC_CHANGED)',
      't.yaml:3:7: allowed: event Order.X was removed (EVENT_REMOVED); reason: Never published, see ADR-1 [t.yaml:30:5]',
      't.yaml:3:7: warning: allowBreaking entry matches no finding (UNUSED_ALLOW_BREAKING)',
      'eventsmith check against origin/main: 1 breaking change (12 published versions, 1 new); 1 allowed, 1 warning',
      '',
    ]);
    expect(renderCheck(report([]), 'text', 'HEAD')).toBe('eventsmith check against HEAD: no breaking changes (12 published versions, 1 new)\n');
  });
});

describe('github', () => {
  it('escapes properties and data per the workflow command rules; allowed findings are notices', () => {
    expect(renderCheck(report([breaking, allowed, warning]), 'github', 'origin/main').split('\n')).toEqual([
      '::error file=specs/a%2Cb%3Ac.yaml,line=3,col=7,title=TOPIC_CHANGED::topic of aggregate Order changed from a to b: 100%25 sure%0Asecond line',
      '::notice file=t.yaml,line=3,col=7,title=EVENT_REMOVED (allowed)::event Order.X was removed%0AAllowed: Never published, see ADR-1',
      '::warning file=t.yaml,line=3,col=7,title=UNUSED_ALLOW_BREAKING::allowBreaking entry matches no finding',
      'eventsmith check against origin/main: 1 breaking change (12 published versions, 1 new); 1 allowed, 1 warning',
      '',
    ]);
  });

  it('reports invalid input as errors with the diagnostic code as title', () => {
    const d = { code: 'ES5004', severity: 'error', message: 'cannot read the baseline', file: 'x', line: 1, col: 1, path: '' } as const;
    expect(renderCheckErrors([d], 'github', 'x', 'cannot read the baseline')).toBe('::error file=x,line=1,col=1,title=ES5004::cannot read the baseline\neventsmith check against x: cannot read the baseline\n');
  });
});

describe('json', () => {
  it('has the same keys whatever the outcome', () => {
    const ok = JSON.parse(renderCheck(report([allowed]), 'json', 'HEAD')) as Record<string, unknown>;
    const bad = JSON.parse(renderCheckErrors([], 'json', 'HEAD', 'the current specs are invalid')) as Record<string, unknown>;
    expect(Object.keys(ok)).toEqual(['against', 'ok', 'message', 'summary', 'findings', 'errors']);
    expect(Object.keys(bad)).toEqual(Object.keys(ok));
    expect(ok).toMatchObject({ ok: true, summary: { breaking: 0, allowed: 1, warnings: 0, published: 12, added: 1 } });
    expect(bad).toMatchObject({ ok: false, summary: null, findings: [], message: 'eventsmith check against HEAD: the current specs are invalid' });
    expect((ok.findings as unknown[])[0]).toEqual({
      rule: 'EVENT_REMOVED',
      status: 'allowed',
      severity: 'error',
      message: 'event Order.X was removed',
      file: 't.yaml',
      line: 3,
      col: 7,
      path: 'aggregates.Order.events.X',
      allowedBy: { file: 't.yaml', line: 30, col: 5, reason: 'Never published, see ADR-1' },
      conflict: null,
    });
  });
});
