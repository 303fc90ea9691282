// The package's manifest: kafkajs and pg are peers (users pass their own Kafka and pg.Pool, which
// the runtime must share), @opentelemetry/api an optional one (the global tracer and meter must be
// the application's), with the ranges of the versions the suite runs against; the generator/dev/
// scripts `eventsmith dev` needs are shipped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  files: string[];
};

const parts = (v: string): number[] => v.split('.').map((n) => Number.parseInt(n, 10));

it('kafkajs and pg are peer dependencies with the ranges the suite installs, and dev dependencies for it', () => {
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@opentelemetry/api', 'kafkajs', 'pg']);
  const require = createRequire(import.meta.url);
  for (const name of ['kafkajs', 'pg']) {
    expect(manifest.dependencies).not.toHaveProperty(name);
    const range = manifest.peerDependencies[name] as string;
    expect(manifest.devDependencies[name]).toBe(range);
    const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
    expect(m, `${name}: ${range}`).not.toBeNull();
    const installed = (require(`${name}/package.json`) as { version: string }).version;
    const [low, have] = [parts(m?.[1] as string), parts(installed)];
    // ^X.Y.Z: same major, at least X.Y.Z; the suite runs against `installed`.
    expect(have[0], `${name} ${installed} vs ${range}`).toBe(low[0]);
    expect((have[1] as number) * 1e6 + (have[2] as number), `${name} ${installed} vs ${range}`).toBeGreaterThanOrEqual((low[1] as number) * 1e6 + (low[2] as number));
  }
});

it('@opentelemetry/api is an optional peer dependency (the runtime loads it if present), never a dependency; the suite installs a version in its range', () => {
  expect(manifest.dependencies).not.toHaveProperty('@opentelemetry/api');
  expect(manifest.peerDependenciesMeta?.['@opentelemetry/api']).toEqual({ optional: true });
  expect(manifest.peerDependenciesMeta).not.toHaveProperty('kafkajs');
  const range = manifest.peerDependencies['@opentelemetry/api'] as string;
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  expect(m, range).not.toBeNull();
  // Its exports map hides package.json: read the file.
  const installed = (JSON.parse(readFileSync(path.join(root, 'node_modules', '@opentelemetry', 'api', 'package.json'), 'utf8')) as { version: string }).version;
  const [low, have] = [parts(m?.[1] as string), parts(installed)];
  expect(have[0]).toBe(low[0]);
  expect((have[1] as number) * 1e6 + (have[2] as number)).toBeGreaterThanOrEqual((low[1] as number) * 1e6 + (low[2] as number));
  expect(manifest.devDependencies).toHaveProperty('@opentelemetry/api');
});

it('ships the generator/dev/ scripts', () => {
  expect(manifest.files).toContain('generator/dev/');
});
