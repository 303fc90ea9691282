// `eventsmith registry push|check|pull` as a user runs them (the built bin, a separate process)
// against the run's real registry. Each test's domain is unique, so its subjects are its own.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { repoRoot, runCli } from '../cli/run-cli.js';
import { createRegistryClient, parseSchemaText } from '../../generator/runtime/index.js';

const url = inject('registryUrl');
const client = createRegistryClient({ url });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spec(domain: string, orderPlacedVersions: string): string {
  return `domain: ${domain}
source: urn:example:t
compatibility: BACKWARD
aggregates:
  Order:
    topic: ${domain}.orders
    events:
      OrderPlaced:
        versions:
${orderPlacedVersions}
      OrderShipped:
        versions:
          - fields: { carrier: string, big: { type: long, default: 9223372036854775807 } }
    commands:
      ShipOrder:
        versions:
          - fields: { carrier: string }
        emits: [OrderShipped]
`;
}

const v1 = `          - fields: { customerId: string, total: int }`;
const v2ok = `${v1}
          - fields: { customerId: string, total: long, note: { type: string, default: "" } }`;
const v2breaking = `${v1}
          - fields: { customerId: string, total: int, channel: string }
            upcast: { channel: web }`;

/** A project folder with eventsmith.config.yaml naming the registry, and events/t.yaml. */
function project(domain: string, versions: string, registry = `registry: { url: "${url}" }`): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-registry-cli-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'events'));
  writeFileSync(path.join(dir, 'eventsmith.config.yaml'), `version: 1\n${registry}\n`);
  writeFileSync(path.join(dir, 'events', 't.yaml'), spec(domain, versions));
  return dir;
}

const freshDomain = (): string => `com.example.r${randomBytes(4).toString('hex')}`;

describe('eventsmith registry push', () => {
  it('registers every version oldest first with the spec\'s compatibility; a second run registers nothing', async () => {
    const domain = freshDomain();
    const dir = project(domain, v2ok);
    const first = runCli(['registry', 'push'], dir, { SCHEMA_REGISTRY_URL: '' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`eventsmith registry push: 4 registered, 0 already present (3 subjects, ${url})`);
    const subject = `${domain}.orders-${domain}.OrderPlaced`;
    expect(first.stdout.indexOf(`${subject} (Order.OrderPlaced v1)`)).toBeLessThan(first.stdout.indexOf(`${subject} (Order.OrderPlaced v2)`));
    expect(await client.versions(subject)).toEqual([1, 2]);
    expect(await client.compatibility(subject)).toBe('BACKWARD');
    // Commands too, on the command topic; the long default is registered exactly.
    expect(await client.versions(`${domain}.orders.commands-${domain}.ShipOrder`)).toEqual([1]);
    expect((await client.version(`${domain}.orders-${domain}.OrderShipped`, 1)).schema).toContain('9223372036854775807');
    // The generated binding names the same subjects, and compiles strictly.
    expect(runCli(['generate'], dir).code).toBe(0);
    const slug = domain.split('.').at(-1) as string;
    const generated = readFileSync(path.join(dir, 'src', 'generated', slug, 'registry.ts'), 'utf8');
    expect(generated).toContain(`'${domain}.order.placed': { 1: '${subject}', 2: '${subject}' },`);
    expect(generated).toContain(`'${domain}.order.command.ship-order': { 1: '${domain}.orders.commands-${domain}.ShipOrder' },`);
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noUncheckedIndexedAccess: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true,
        types: [], paths: { 'eventsmith/runtime': [path.join(repoRoot, 'generator', 'runtime', 'index.ts')] },
      },
      files: [path.join(dir, 'src', 'generated', slug, 'registry.ts')],
    }));
    const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const again = runCli(['registry', 'push'], dir, { SCHEMA_REGISTRY_URL: '' });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`eventsmith registry push: 0 registered, 4 already present (3 subjects, ${url})\n`);
  });

  it('a breaking version refused with 409 is a MODE_VIOLATION at its YAML, exit 1', () => {
    const domain = freshDomain();
    expect(runCli(['registry', 'push'], project(domain, v1), { SCHEMA_REGISTRY_URL: '' }).code).toBe(0);
    const r = runCli(['registry', 'push'], project(domain, v2breaking), { SCHEMA_REGISTRY_URL: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^events\/t\.yaml:11:13: Order\.OrderPlaced v2 is refused by the registry under subject '.*OrderPlaced' \(BACKWARD\): v2 cannot read data written as subject version 1: field `channel` has no default \(READER_FIELD_MISSING_DEFAULT_VALUE at \/fields\/2\) \(MODE_VIOLATION\)$/m);
    const json = runCli(['registry', 'push', '--format', 'json'], project(domain, v2breaking), { SCHEMA_REGISTRY_URL: '' });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).findings[0].rule).toBe('MODE_VIOLATION');
  });

  it('naming strategies from the configuration: per topic over per domain over the default', async () => {
    const domain = freshDomain();
    const registry = `registry:
  url: "${url}"
  subjectNameStrategy: RecordNameStrategy
  topics: { ${domain}.orders.commands: { subjectNameStrategy: TopicNameStrategy } }`;
    const r = runCli(['registry', 'push'], project(domain, v1, registry), { SCHEMA_REGISTRY_URL: '' });
    expect(r.code).toBe(0);
    expect(await client.versions(`${domain}.OrderPlaced`)).toEqual([1]);
    expect(await client.versions(`${domain}.orders.commands-value`)).toEqual([1]);
  });
});

describe('eventsmith registry check', () => {
  it('verdicts equal `check --against` on the same edits', () => {
    const domain = freshDomain();
    const baseline = project(domain, v1);
    expect(runCli(['registry', 'push'], baseline, { SCHEMA_REGISTRY_URL: '' }).code).toBe(0);
    for (const [edit, want] of [[v1, 0], [v2ok, 0], [v2breaking, 1]] as const) {
      const dir = project(domain, edit);
      const local = runCli(['check', '--against', baseline], dir);
      const live = runCli(['registry', 'check'], dir, { SCHEMA_REGISTRY_URL: '' });
      expect(local.code, local.stderr).toBe(want);
      expect(live.code, live.stderr).toBe(want);
      if (want === 1) {
        expect(live.stderr).toContain('(MODE_VIOLATION)');
        expect(local.stderr).toContain('(MODE_VIOLATION)');
      }
    }
    const gh = runCli(['registry', 'check', '--format', 'github'], project(domain, v2breaking), { SCHEMA_REGISTRY_URL: '' });
    expect(gh.code).toBe(1);
    expect(gh.stdout).toMatch(/^::error file=events\/t\.yaml,line=11,col=13,title=MODE_VIOLATION::/m);
  });

  it('network errors, 401 by missing credentials and no URL: one line, exit 2', () => {
    const domain = freshDomain();
    const down = runCli(['registry', 'check', '--url', 'http://127.0.0.1:9/apis/ccompat/v7'], project(domain, v1));
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^eventsmith registry: schema registry unreachable: [^\n]*\n$/);
    const wrongPath = runCli(['registry', 'check', '--url', url.replace(/\/apis\/ccompat\/v7$/, '/not-the-api')], project(domain, v1));
    expect(wrongPath.code).toBe(2);
    expect(wrongPath.stderr).toMatch(/^eventsmith registry: schema registry: HTTP 404 not found: [^\n]*\n$/);
    const noCreds = runCli(['registry', 'push'], project(domain, v1, `registry: { url: "${url}", auth: { tokenEnv: ES_TEST_UNSET_TOKEN } }`), { SCHEMA_REGISTRY_URL: '' });
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toBe('eventsmith registry: environment variable ES_TEST_UNSET_TOKEN (registry.auth in the configuration) is not set\n');
    const noUrl = runCli(['registry', 'check'], project(domain, v1, ''), { SCHEMA_REGISTRY_URL: '' });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^eventsmith registry: no registry URL/);
  });
});

describe('eventsmith registry pull', () => {
  it('writes every version of the project\'s subjects, exact', () => {
    const domain = freshDomain();
    const dir = project(domain, v2ok);
    expect(runCli(['registry', 'push'], dir, { SCHEMA_REGISTRY_URL: '' }).code).toBe(0);
    const r = runCli(['registry', 'pull', '-o', 'pulled'], dir, { SCHEMA_REGISTRY_URL: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('eventsmith registry pull: 4 schemas of 3 subjects written to pulled\n');
    const subjectDir = path.join(dir, 'pulled', `${domain}.orders-${domain}.OrderPlaced`);
    expect(readdirSync(subjectDir)).toEqual(['v1.avsc', 'v2.avsc']);
    const shipped = readFileSync(path.join(dir, 'pulled', `${domain}.orders-${domain}.OrderShipped`, 'v1.avsc'), 'utf8');
    expect(shipped).toContain('"default": 9223372036854775807');
    expect(parseSchemaText(shipped)).toMatchObject({ name: 'OrderShipped', namespace: domain });
    // The pulled files are `eventsmith compat` inputs.
    const compat = runCli(['compat', '--mode', 'BACKWARD', '--new', path.join(subjectDir, 'v2.avsc'), path.join(subjectDir, 'v1.avsc')], dir);
    expect(compat.code).toBe(0);
  });
});

describe('eventsmith dev with registry: in the configuration', () => {
  it('starts a registry too and hands SCHEMA_REGISTRY_URL to the command; without registry: it does not', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-dev-registry-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'eventsmith.config.yaml'), 'version: 1\nregistry: { subjectNameStrategy: RecordNameStrategy }\n');
    const probe = "fetch(process.env.SCHEMA_REGISTRY_URL + '/subjects').then(async (r) => { console.log('status', r.status, await r.text()); })";
    // PostgreSQL and Kafka come from the environment (never contacted): only the registry starts.
    const env = { DATABASE_URL: 'postgres://unused', KAFKA_BROKERS: 'unused:9092', SCHEMA_REGISTRY_URL: '' };
    const r = runCli(['dev', '--', process.execPath, '-e', probe], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('status 200 []\n');
    expect(r.stderr).toMatch(/Schema registry ready at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7/);
    writeFileSync(path.join(dir, 'eventsmith.config.yaml'), 'version: 1\n');
    const without = runCli(['dev', '--', process.execPath, '-e', "console.log(process.env.SCHEMA_REGISTRY_URL ?? 'unset')"], dir, { DATABASE_URL: 'postgres://unused', KAFKA_BROKERS: 'unused:9092' });
    expect(without.code).toBe(0);
    expect(without.stderr).not.toContain('Schema registry');
  });
});
