import { defineConfig } from 'vitest/config';

// Tests import the compiled packages (`tsc -b` runs first in `npm test`), exactly as the
// `oxydra` binary does, so what is tested is what ships.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time: most of the time goes to waiting on child processes, sockets and
    // servers, so two run in about the time of one on a 2-core machine (vitest's default is one
    // fewer than the cores: one there).
    maxWorkers: 2,
    globalSetup: ['./scripts/vitest-global-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
