// The README's tutorial, run as a newcomer runs it: the package packed as the README says, then in
// a new empty folder outside the repository the README's own blocks, in order: the setup steps
// (a module project, eventsmith and its peers as dependencies, typescript and types as dev
// dependencies), the strict nodenext tsconfig.json, init and generate, the service, then strict
// tsc and the service against a real PostgreSQL and Kafka started by `eventsmith dev`. The
// consumer's row must exist (the service prints it). Then `npm ci --omit=dev` and the same run:
// the generated code needs only the dependencies at run time. The generated test kit runs on the
// packed `eventsmith/testing`, before and after.
import { type SpawnSyncReturns, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot, tutorialBlock } from './blocks.js';

const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-tutorial-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

/** Runs a README shell block with bash, stopping at the first failing command. */
function sh(block: string, cwd: string): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-e', '-c', block], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
}

function expectOk(r: SpawnSyncReturns<string>, what: string): void {
  expect(r.status, `${what}:\n${r.stdout}\n${r.stderr}`).toBe(0);
}

function expectServiceRan(r: SpawnSyncReturns<string>): void {
  expectOk(r, 'the service under eventsmith dev');
  expect(r.stdout).toMatch(/^cart [0-9a-f-]{36}: sku-1$/m);
  // Nothing KafkaJS absorbs by retrying reaches the log, and no EoS warning.
  expect(r.stderr).not.toMatch(/eventsmith (warn|error)|invalidate EoS/);
}

/**
 * The generated test kit (src/generated/shop/testing.ts, compiled by the strict tsc above) runs on
 * the packed package's `eventsmith/testing`: a passing and a failing reducer assertion.
 */
function expectKitRuns(app: string): void {
  const script = [
    "import { cartReducer } from './dist/generated/shop/testing.js';",
    "const added = { type: 'com.example.shop.cart.itemadded', dataVersion: 1, data: { sku: 'sku-1', price: { amount: '1.00', currency: 'USD' } } };",
    "cartReducer.given(added).then({ status: 'open', items: ['sku-1'], total: null });",
    "try { cartReducer.given(added).then({ status: 'open', items: [], total: null }); console.log('not thrown'); } catch (e) { console.log(e.name, e.message.split('\\n')[0]); }",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env, encoding: 'utf8' });
  expectOk(r, 'the generated test kit');
  expect(r.stdout.trim()).toBe('AssertionError Cart: the state after 1 event differs (- expected, + actual):');
}

it('README tutorial: pack, a new project, setup, init, generate, strict tsc, the service under eventsmith dev; again after npm ci --omit=dev', () => {
  // "(cd eventsmith && npm install && npm pack)": a clone already installed and built here.
  // --ignore-scripts: globalSetup built dist/; prepack would rebuild it under running CLI tests.
  const clone = path.join(work, 'eventsmith');
  mkdirSync(clone);
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', clone, '--silent'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(readdirSync(clone)).toEqual(['eventsmith-0.1.0.tgz']);

  expectOk(sh(tutorialBlock('setup.sh'), work), 'setup');
  const app = path.join(work, 'shop-service');
  const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
  expect(manifest.type).toBe('module');
  expect(Object.keys(manifest.dependencies as Record<string, string>).sort()).toEqual(['eventsmith', 'kafkajs', 'pg']);
  expect(Object.keys(manifest.devDependencies as Record<string, string>).sort()).toEqual(['@types/node', '@types/pg', 'typescript']);

  // The runtime shares the project's kafkajs and pg (peers), and the package carries generator/dev/.
  const installed = path.join(app, 'node_modules', 'eventsmith');
  expect(readdirSync(path.join(installed, 'generator', 'dev'))).toContain('kafka.mjs');
  expect(existsSync(path.join(installed, 'node_modules', 'kafkajs')) || existsSync(path.join(installed, 'node_modules', 'pg'))).toBe(false);

  writeFileSync(path.join(app, 'tsconfig.json'), tutorialBlock('tsconfig.json'));
  const generated = sh(tutorialBlock('generate.sh'), app);
  expectOk(generated, 'init and generate');
  expect(generated.stdout).toContain('wrote events/shop.yaml');
  expect(generated.stdout).toMatch(/src\/generated: \d+ written/);
  mkdirSync(path.join(app, 'src'), { recursive: true });
  writeFileSync(path.join(app, 'src', 'service.ts'), tutorialBlock('src/service.ts'));

  expectServiceRan(sh(tutorialBlock('run.sh'), app));
  expectKitRuns(app);

  expectOk(sh('npm ci --omit=dev', app), 'npm ci --omit=dev');
  expect(readdirSync(path.join(app, 'node_modules'))).not.toContain('typescript');
  expectServiceRan(sh('npx eventsmith dev -- node dist/service.js', app));
  expectKitRuns(app);
}, 900_000);
