import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // test/cluster/ runs on its own afterwards (vitest.cluster.config.ts, `npm run test:cluster`).
    exclude: ['**/node_modules/**', 'test/tmp/**', 'test/cluster/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only fight over them.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
  },
});
