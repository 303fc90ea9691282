// The replicated-cluster tests (test/cluster/): each file starts a 3-node Kafka cluster, three
// JVMs, so they run one file at a time, after the main suite (`npm run test:cluster`, which
// `npm test` runs last). Kept out of vitest.config.ts so the main suite never runs them in
// parallel with its own brokers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts', 'test/support/postgres-global.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
