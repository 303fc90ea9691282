// A newcomer's path, for real: pack the package, install the tarball into an empty project,
// init, generate, compile the output strictly and run it against the installed runtime.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const repoRoot = path.join(import.meta.dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'eventsmith-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
}

it('npm pack → npm install in an empty project → init → generate → strict tsc → run', () => {
  // --ignore-scripts: globalSetup already built dist/; prepack would rebuild it in place while
  // CLI tests in another worker are executing it.
  sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--silent'], repoRoot);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  const app = path.join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'newcomer', private: true, type: 'module' }));
  sh('npm', ['install', '--no-save', path.join(work, tarball as string), 'typescript@5.6', '@types/node@20'], app);

  expect(sh('npx', ['eventsmith', 'init'], app)).toContain('wrote eventsmith.config.yaml');
  expect(sh('npx', ['eventsmith', 'generate'], app)).toMatch(/written/);

  writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, outDir: 'dist', types: ['node'] },
      include: ['src/**/*.ts'],
    }),
  );
  writeFileSync(
    path.join(app, 'src/main.ts'),
    `import { itemAddedV1Codec } from './generated/shop/avro.js';
import { itemAdded } from './generated/shop/envelopes.js';
const data = { sku: 'sku-1', price: { amount: '12.50', currency: 'EUR' } };
const bytes = itemAddedV1Codec.toBinary(data);
const back = itemAddedV1Codec.fromBinary(bytes);
const env = itemAdded('7d3f0f8e-2c57-4f5e-9a43-6f1c0f1d6a11', back);
console.log(JSON.stringify({ type: env.type, amount: back.price.amount, json: itemAddedV1Codec.toJson(back) }));
`,
  );
  sh('npx', ['tsc', '-p', '.'], app);
  const out = JSON.parse(sh('node', ['dist/main.js'], app)) as { type: string; amount: string; json: string };
  expect(out.type).toBe('com.example.shop.cart.itemadded');
  expect(out.amount).toBe('12.50');
  expect(JSON.parse(out.json)).toMatchObject({ sku: 'sku-1' });
}, 300_000);
