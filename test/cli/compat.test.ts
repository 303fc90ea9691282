// `eventsmith compat` through the built CLI: exit 0 compatible, 1 incompatible, 2 invalid.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-compat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, schema: unknown): string => {
  writeFileSync(path.join(dir, name), typeof schema === 'string' ? schema : JSON.stringify(schema));
  return name;
};
const record = (fields: unknown[]) => ({ type: 'record', name: 'Placed', fields });
const v1 = file('v1.avsc', record([{ name: 'a', type: 'int' }]));
const v2 = file('v2.avsc', record([{ name: 'a', type: 'long' }, { name: 'b', type: 'string', default: '' }]));
const v3 = file('v3.avsc', record([{ name: 'a', type: 'long' }, { name: 'c', type: 'string' }]));
const broken = file('broken.avsc', '{"type": "record", "name": "Placed", "fields": [');

describe('eventsmith compat', () => {
  it('compatible: exit 0', () => {
    const r = runCli(['compat', '--mode', 'BACKWARD', '--new', v2, v1], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('compatible');
  });

  it('incompatible under a transitive mode: exit 1, naming the rule and the earlier schema', () => {
    const r = runCli(['compat', '--mode', 'BACKWARD_TRANSITIVE', '--new', v3, v1, v2], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('READER_FIELD_MISSING_DEFAULT_VALUE');
    expect(r.stderr).toContain('v1.avsc');
  });

  it('github format: ::error lines', () => {
    const r = runCli(['compat', '--mode', 'BACKWARD', '--format', 'github', '--new', v3, v2], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=v3\.avsc,title=READER_FIELD_MISSING_DEFAULT_VALUE::/m);
  });

  it('json format is machine-readable', () => {
    const r = runCli(['compat', '--mode', 'FULL', '--format', 'json', '--new', v2, v1], dir);
    const parsed = JSON.parse(r.stdout) as { compatible: boolean };
    expect(typeof parsed.compatible).toBe('boolean');
    expect(r.code).toBe(parsed.compatible ? 0 : 1);
  });

  it('invalid schema, missing file or unknown mode: exit 2', () => {
    expect(runCli(['compat', '--mode', 'BACKWARD', '--new', broken, v1], dir).code).toBe(2);
    expect(runCli(['compat', '--mode', 'BACKWARD', '--new', 'nope.avsc', v1], dir).code).toBe(2);
    expect(runCli(['compat', '--mode', 'SIDEWAYS', '--new', v2, v1], dir).code).toBe(2);
  });
});
