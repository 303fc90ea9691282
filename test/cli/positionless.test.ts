// Problems without a source position (a spec that cannot be read, no specs at all, a baseline
// reference that is no revision) say why and print without an invented `:1:1`.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ioReason } from '../../generator/cli/io-reason.js';
import { formatDiagnostic, noPosition } from '../../generator/core/diagnostics.js';
import { renderCheckErrors } from '../../generator/check/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'eventsmith-positionless-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const invented = /:1:1\b/;

describe('a spec that cannot be read says why', () => {
  it('not found', () => {
    const r = runCli(['validate', 'nosuch.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("nosuch.yaml - error ES1009: cannot read spec file 'nosuch.yaml': not found\n");
  });

  it('is a directory (also the working directory itself)', () => {
    mkdirSync(path.join(dir, 'folder.yaml'), { recursive: true });
    expect(runCli(['generate', 'folder.yaml'], dir).stderr).toBe("folder.yaml - error ES1009: cannot read spec file 'folder.yaml': is a directory\n");
    expect(runCli(['validate', '.'], dir).stderr).toBe(". - error ES1009: cannot read spec file '.': is a directory\n");
  });

  // root reads any file whatever its mode, so only an ordinary user can see EACCES.
  it.skipIf(process.getuid?.() === 0)('permission denied', () => {
    const file = path.join(dir, 'locked.yaml');
    writeFileSync(file, 'domain: a.b\n');
    chmodSync(file, 0o000);
    expect(runCli(['validate', 'locked.yaml'], dir).stderr).toBe("locked.yaml - error ES1009: cannot read spec file 'locked.yaml': permission denied\n");
  });

  it('maps each file-system error code to its reason', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(ioReason(err('ENOENT'))).toBe('not found');
    expect(ioReason(err('EISDIR'))).toBe('is a directory');
    expect(ioReason(err('EACCES'))).toBe('permission denied');
    expect(ioReason(err('EPERM'))).toBe('permission denied');
    expect(ioReason(err('EIO'))).toBe('EIO: raw');
  });

  it('a missing configuration file too', () => {
    const r = runCli(['generate', '--config', 'nosuch.config.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("nosuch.config.yaml - error ES1009: cannot read configuration file 'nosuch.config.yaml': not found\n");
  });
});

describe('no invented positions', () => {
  it('no spec files: no `.:1:1`', () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const r = runCli(['generate'], empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error ES5001: no spec files found/);
    expect(r.stderr).not.toMatch(invented);
  });

  it('check against a reference that is neither a path nor a revision: no `nosuchref:1:1`', () => {
    const project = mkdtempSync(path.join(dir, 'project-'));
    mkdirSync(path.join(project, 'events'));
    writeFileSync(path.join(project, 'events', 'a.yaml'), 'domain: com.acme.a\nsource: urn:a\naggregates:\n  A:\n    events:\n      Done:\n        versions: [ { fields: {} } ]\n');
    const text = runCli(['check', '--against', 'nosuchref'], project);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^error ES5004: cannot read the baseline 'nosuchref'/);
    expect(text.stderr).not.toMatch(invented);
    const github = runCli(['check', '--against', 'nosuchref', '--format', 'github'], project);
    expect(github.stdout).toMatch(/^::error title=ES5004::cannot read the baseline 'nosuchref'/);
  });

  it('formats each kind of place', () => {
    const d = { code: 'ES1009', severity: 'error', message: 'm', path: '' } as const;
    expect(formatDiagnostic({ ...d, file: 'a.yaml', line: 3, col: 4 })).toBe('a.yaml:3:4 - error ES1009: m');
    expect(formatDiagnostic({ ...d, ...noPosition('a.yaml') })).toBe('a.yaml - error ES1009: m');
    expect(formatDiagnostic({ ...d, ...noPosition() })).toBe('error ES1009: m');
    expect(renderCheckErrors([{ ...d, ...noPosition('a.yaml') }], 'github', 'x', 'h')).toBe('::error file=a.yaml,title=ES1009::m\neventsmith check against x: h\n');
  });
});
