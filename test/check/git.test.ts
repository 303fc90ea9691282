// `eventsmith check` end to end: a real git repository with a committed spec, a table of
// breaking and safe edits applied to the working tree, and the built CLI run as a subprocess
// in every output format. Also baselines that are a directory or a file, and unreadable ones.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../cli/run-cli.js';
import { edit } from './helpers.js';

// A frozen copy of the example spec, so that line numbers here do not move with the example.
const spec = readFileSync(path.join(repoRoot, 'test/check/orders.yaml'), 'utf8');
const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-check-'));
const repo = path.join(work, 'repo');
const specFile = path.join(repo, 'events/orders.yaml');

function git(args: readonly string[], cwd = repo): string {
  return execFileSync('git', ['-c', 'user.name=eventsmith test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
  });
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

beforeAll(() => {
  mkdirSync(repo, { recursive: true });
  git(['init', '-q', '-b', 'main']);
  write(specFile, spec);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'the published spec']);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface EditCase {
  readonly edit: (text: string) => string;
  readonly code: 0 | 1 | 2;
  /** A line of text output, a line of github output, and a finding rule in the json (or ''). */
  readonly text: RegExp;
  readonly github: RegExp;
  readonly rule: string;
}

const orderConfirmedV2 = [
  '              confirmedAt: timestamp-millis\n        apply:\n          status: confirmed',
  '              confirmedAt: timestamp-millis\n          - fields:\n              confirmedAt: timestamp-millis\n              by: NEW_FIELD\n        apply:\n          status: confirmed',
] as const;

const cases: [string, EditCase][] = [
  ['unchanged', { edit: (t) => t, code: 0, text: /^eventsmith check against HEAD: no breaking changes \(12 published versions, 0 new\)$/m, github: /no breaking changes/, rule: '' }],
  ['a doc changed', { edit: (t) => edit(t, ['doc: Stock of one product.', 'doc: Stock of one product, per warehouse.']), code: 0, text: /no breaking changes/, github: /^eventsmith check against HEAD: no breaking/m, rule: '' }],
  [
    'a new version with a default',
    { edit: (t) => edit(t, [orderConfirmedV2[0], orderConfirmedV2[1].replace('NEW_FIELD', '{ type: string, default: system }')]), code: 0, text: /no breaking changes \(12 published versions, 1 new\)/, github: /no breaking/, rule: '' },
  ],
  ['a new event', { edit: (t) => edit(t, ['      StockReserved:\n', '      StockCounted:\n        versions:\n          - fields: { counted: long }\n      StockReserved:\n']), code: 0, text: /no breaking changes/, github: /no breaking/, rule: '' }],
  [
    'a published field changed type',
    {
      edit: (t) => edit(t, ['requested: int', 'requested: long']),
      code: 1,
      text: /^events\/orders\.yaml:107:15: published Inventory\.StockReservationFailed v1: field `requested` changed type from int to long; .* \(PUBLISHED_VERSION_CHANGED\)$/m,
      github: /^::error file=events\/orders\.yaml,line=107,col=15,title=PUBLISHED_VERSION_CHANGED::published Inventory\.StockReservationFailed v1/m,
      rule: 'PUBLISHED_VERSION_CHANGED',
    },
  ],
  [
    'a new version without a default (BACKWARD_TRANSITIVE)',
    {
      edit: (t) => edit(t, [orderConfirmedV2[0], `${orderConfirmedV2[1].replace('NEW_FIELD', 'string')}`], ['        apply:\n          status: confirmed', '            upcast: { by: system }\n        apply:\n          status: confirmed']),
      code: 1,
      text: /^events\/orders\.yaml:73:15: Order\.OrderConfirmed v2 is not BACKWARD_TRANSITIVE compatible with v1: v2 cannot read data written as v1: field `by` .*\(MODE_VIOLATION\)$/m,
      github: /^::error file=events\/orders\.yaml,line=73,col=15,title=MODE_VIOLATION::/m,
      rule: 'MODE_VIOLATION',
    },
  ],
  ['an event removed', { edit: (t) => edit(t, ['      OrderConfirmed:\n        versions:\n          - fields:\n              confirmedAt: timestamp-millis\n        apply:\n          status: confirmed\n          revision: { increment: 1 }\n', '']), code: 1, text: /^events\/orders\.yaml:43:5: event Order\.OrderConfirmed was removed/m, github: /title=EVENT_REMOVED::/, rule: 'EVENT_REMOVED' }],
  ['a topic changed', { edit: (t) => edit(t, ['topic: payments', 'topic: payments-v2']), code: 1, text: /^events\/orders\.yaml:\d+:12: topic of aggregate Payment changed from payments to payments-v2 \(TOPIC_CHANGED\)$/m, github: /title=TOPIC_CHANGED::/, rule: 'TOPIC_CHANGED' }],
  ['a shared type changed', { edit: (t) => edit(t, ['default: USD, doc', 'default: EUR, doc']), code: 1, text: /^events\/orders\.yaml:12:7: type Money, used by published .*\(SHARED_TYPE_CHANGED\)$/m, github: /title=SHARED_TYPE_CHANGED::/, rule: 'SHARED_TYPE_CHANGED' }],
  [
    'a published change allowed, with its reason',
    {
      edit: (t) => edit(t, ['              requested: int\n              available: long\n', '              requested: long\n              available: long\n            allowBreaking:\n              - rule: PUBLISHED_VERSION_CHANGED\n                reason: "Nothing was published yet: 100%, really"\n']),
      code: 0,
      text: /^events\/orders\.yaml:107:15: allowed: .*\(PUBLISHED_VERSION_CHANGED\); reason: Nothing was published yet: 100%, really \[events\/orders\.yaml:110:17\]$/m,
      github: /^::notice file=events\/orders\.yaml,line=107,col=15,title=PUBLISHED_VERSION_CHANGED \(allowed\)::.*%0AAllowed: Nothing was published yet: 100%25, really$/m,
      rule: 'PUBLISHED_VERSION_CHANGED',
    },
  ],
  ['the current spec is invalid', { edit: (t) => edit(t, ['topic: payments', 'topic: "pay ments"']), code: 2, text: /^events\/orders\.yaml:\d+:\d+ - error ES2\d{3}: /m, github: /^::error file=events\/orders\.yaml,line=\d+,col=\d+,title=ES2\d{3}::/m, rule: '' }],
];

describe('eventsmith check --against HEAD in a git repository', () => {
  it.each(cases)('%s', (_name, c) => {
    write(specFile, c.edit(spec));
    try {
      const text = runCli(['check', '--against', 'HEAD'], repo);
      expect(text.code, text.stdout + text.stderr).toBe(c.code);
      expect(text.stdout + text.stderr).toMatch(c.text);
      const github = runCli(['check', '--against', 'HEAD', '--format', 'github'], repo);
      expect(github.code).toBe(c.code);
      expect(github.stdout).toMatch(c.github);
      const json = runCli(['check', '--against', 'HEAD', '--format', 'json'], repo);
      expect(json.code).toBe(c.code);
      const report = JSON.parse(json.stdout) as { ok: boolean; against: string; findings: { rule: string }[]; errors: unknown[] };
      expect(report.against).toBe('HEAD');
      expect(report.ok).toBe(c.code === 0);
      if (c.rule !== '') expect(report.findings.map((f) => f.rule)).toContain(c.rule);
      if (c.code === 2) expect(report.errors.length).toBeGreaterThan(0);
    } finally {
      write(specFile, spec);
    }
  });
});

describe('eventsmith check --format sarif | gitlab | junit (files for CI systems)', () => {
  it.each(['sarif', 'gitlab', 'junit'])('%s: exit 1 on a breaking change, the finding at its spec line, on stdout', (format) => {
    write(specFile, edit(spec, ['topic: payments', 'topic: payments-v2']));
    try {
      const r = runCli(['check', '--against', 'HEAD', '--format', format], repo);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe('');
      if (format === 'sarif') {
        const log = JSON.parse(r.stdout) as { runs: { tool: { driver: { version: string } }; results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
        expect(log.runs[0]?.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(log.runs[0]?.results.map((x) => [x.ruleId, x.locations[0]?.physicalLocation.artifactLocation.uri])).toEqual([['TOPIC_CHANGED', 'events/orders.yaml']]);
      } else if (format === 'gitlab') {
        expect((JSON.parse(r.stdout) as { check_name: string }[]).map((i) => i.check_name)).toEqual(['TOPIC_CHANGED']);
      } else {
        expect(r.stdout).toMatch(/<failure type="TOPIC_CHANGED" message="topic of aggregate Payment changed from payments to payments-v2">/);
      }
    } finally {
      write(specFile, spec);
    }
  });
});

describe('baselines and discovery', () => {
  const breakIt = (t: string): string => edit(t, ['topic: payments', 'topic: payments-v2']);

  it('reads a directory baseline (the project root of another checkout)', () => {
    const old = path.join(work, 'old-checkout');
    cpSync(path.join(repo, 'events'), path.join(old, 'events'), { recursive: true });
    write(specFile, breakIt(spec));
    try {
      const r = runCli(['check', '--against', old], repo);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\(TOPIC_CHANGED\)$/m);
      expect(runCli(['check', '--against', repo], old).code).toBe(1);
    } finally {
      write(specFile, spec);
    }
  });

  it('reads a single spec file as the baseline', () => {
    const old = path.join(work, 'old.yaml');
    write(old, spec);
    write(specFile, breakIt(spec));
    try {
      expect(runCli(['check', '--against', old], repo).code).toBe(1);
      expect(runCli(['check', '--against', old, 'events/orders.yaml'], repo).code).toBe(1);
    } finally {
      write(specFile, spec);
    }
    expect(runCli(['check', '--against', old], repo).code).toBe(0);
  });

  it('maps spec arguments (files and globs) to the same paths at the revision', () => {
    write(specFile, breakIt(spec));
    write(path.join(repo, 'events/new.yaml'), 'domain: com.example.fresh\nsource: urn:x\naggregates:\n  Fresh:\n    events:\n      FreshMade:\n        versions: [{ fields: {} }]\n');
    try {
      const file = runCli(['check', '--against', 'HEAD', 'events/orders.yaml'], repo);
      expect(file.code).toBe(1);
      expect(file.stderr).toMatch(/\(TOPIC_CHANGED\)$/m);
      // events/new.yaml is not at HEAD: all of it is new, which is no error.
      const globbed = runCli(['check', '--against', 'HEAD', 'events/*.yaml', '--format', 'json'], repo);
      expect(globbed.code).toBe(1);
      expect(JSON.parse(globbed.stdout)).toMatchObject({ summary: { breaking: 1, published: 12, added: 1 } });
      expect(runCli(['check', '--against', 'HEAD', path.join(repo, 'events/new.yaml')], repo).code).toBe(0);
    } finally {
      rmSync(path.join(repo, 'events/new.yaml'));
      write(specFile, spec);
    }
  });

  it('reports an unreadable baseline with exit 2', () => {
    const unknown = runCli(['check', '--against', 'no-such-branch'], repo);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error ES5004: cannot read the baseline 'no-such-branch': it is not a file or directory, and git says: unknown revision "no-such-branch"/);
    const shallow = runCli(['check', '--against', 'origin/main', '--format', 'json'], repo);
    expect(shallow.code).toBe(2);
    expect(JSON.parse(shallow.stdout)).toMatchObject({ ok: false, findings: [], errors: [{ code: 'ES5004' }] });
    expect(shallow.stdout).toContain('fetch-depth: 0');
    const option = runCli(['check', '--against=--output=/tmp/x'], repo);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('not a valid git revision');
    const nogit = path.join(work, 'no-git');
    write(path.join(nogit, 'events/orders.yaml'), spec);
    const outside = runCli(['check', '--against', 'HEAD'], nogit);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/error ES5004: cannot read the baseline 'HEAD': .*not a git repository/);
  });

  it('reports an invalid baseline spec with exit 2 and its position at the revision', () => {
    write(specFile, edit(spec, ['topic: payments', 'topic: "pay ments"']));
    git(['commit', '-q', '-am', 'a broken spec']);
    write(specFile, spec);
    try {
      const r = runCli(['check', '--against', 'HEAD'], repo);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^HEAD:events\/orders\.yaml:\d+:\d+ - error ES2\d{3}: /m);
      expect(r.stderr).toMatch(/the baseline at 'HEAD' is not a valid spec/);
    } finally {
      git(['reset', '-q', '--hard', 'HEAD~1']);
    }
  });

  it('finds the specs at the revision through its config file, also from a subfolder of the repository', () => {
    const svc = path.join(repo, 'services/shop');
    write(path.join(svc, 'eventsmith.config.yaml'), 'version: 1\nspecs: [spec/*.yaml]\n');
    write(path.join(svc, 'spec/orders.yaml'), spec);
    write(path.join(svc, 'spec/.hidden/ignored.yaml'), 'not: [a spec');
    git(['add', '.']);
    git(['commit', '-q', '-m', 'a second service']);
    try {
      expect(runCli(['check', '--against', 'HEAD'], svc).code).toBe(0);
      rmSync(path.join(svc, 'spec/orders.yaml'));
      write(path.join(svc, 'spec/renamed.yaml'), breakIt(spec));
      const r = runCli(['check', '--against', 'HEAD'], svc);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^spec\/renamed\.yaml:\d+:12: topic of aggregate Payment .*\(TOPIC_CHANGED\)$/m);
    } finally {
      git(['reset', '-q', '--hard', 'HEAD~1']);
      git(['clean', '-q', '-fd']);
    }
  });

  it('reports a deleted spec file with positions in the baseline', () => {
    write(path.join(repo, 'events/pay.yaml'), 'domain: com.example.pay\nsource: urn:example:pay\naggregates:\n  Refund:\n    events:\n      RefundIssued:\n        versions: [{ fields: { amount: long } }]\n');
    git(['add', '.']);
    git(['commit', '-q', '-m', 'refunds']);
    try {
      git(['rm', '-q', 'events/pay.yaml']);
      const r = runCli(['check', '--against', 'HEAD', '--format', 'github'], repo);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error file=events\/pay\.yaml,line=4,col=3,title=AGGREGATE_REMOVED::aggregate Refund was removed/m);
    } finally {
      git(['reset', '-q', '--hard', 'HEAD~1']);
    }
  });
});
