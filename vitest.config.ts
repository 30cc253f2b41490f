import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The store matrix (issue 33): the gateway suite and the kernel's end-to-end files run a second
 * time with their kernels on PostgreSQL (OXYDRA_TEST_STORE=postgres, see
 * packages/store-postgres/test/test-store.ts). The kernel's files took about 3 minutes once and
 * were left out of `npm test` for CI's budget; they take ~35 s now, so they run by default
 * (OXYDRA_TEST_MATRIX=gateway leaves them out). Every other suite is the same on both stores. A
 * file that by nature looks at the libSQL file skips those tests there, saying why.
 */
const KERNEL_ON_POSTGRES = [
  'packages/kernel/test/kernel-*.test.ts',
  'packages/kernel/test/memory-background-index.test.ts',
  'packages/kernel/test/scheduler*.test.ts',
  'packages/kernel/test/session-history.test.ts',
  'packages/kernel/test/skills-bundled-only.test.ts',
  'packages/kernel/test/skills-lazy-yaml.test.ts',
];
const POSTGRES_MATRIX = [
  'packages/gateway/test/**/*.test.ts',
  ...(process.env.OXYDRA_TEST_MATRIX === 'gateway' ? [] : KERNEL_ON_POSTGRES),
];
/**
 * Not run on PostgreSQL, each with why. The replay files call replaySession as `oxydra sessions
 * replay` does on the embedded store, without the `sessions` option that names another store (the
 * PostgreSQL path is run end to end by packages/cli/test/store-e2e.test.ts).
 */
const POSTGRES_EXCLUDED = [
  'packages/kernel/test/kernel-replay.test.ts',
  'packages/kernel/test/kernel-replay-start.test.ts',
  // No test kernel in these (units, or a child process of their own): the same on both stores.
  'packages/gateway/test/a2a-task-store.test.ts',
  'packages/gateway/test/gateway-api-approval-feed.test.ts',
  'packages/gateway/test/gateway-cluster-units.test.ts',
  'packages/gateway/test/gateway-otel-lazy.test.ts',
  'packages/gateway/test/gateway-units.test.ts',
  'packages/gateway/test/turn-records.test.ts',
];

/**
 * Packages whose test files run one after another in a shared worker process (`isolate: false`):
 * a fresh process per file re-imports vitest, the package and its dependencies, which cost about
 * as much CPU as these files' tests themselves (provider, types and config: 82 s of CPU isolated,
 * 35 s shared, for the same 753 tests). Each of these packages' suites passes shared, run whole and
 * in the mixed order two workers give. A test here restores what it changes in the process
 * (process.env, the working folder, fake timers) in its own hooks, since the next file sees it;
 * the kernel's, the gateway's and the end-to-end suites keep a process per file (several of the
 * kernel's assert what a fresh process has not loaded yet). The runtime's and store-postgres'
 * joined them: isolated 108 s of CPU, shared 79 s, for the same 361 tests (with web's).
 */
const SHARED_PROCESS_PACKAGES = [
  'channels',
  'config',
  'gateway-client',
  'mcp',
  'memory',
  'otel',
  'plugin',
  'provider',
  'runner',
  'runtime',
  'sandbox',
  'shell-daemon',
  'store-postgres',
  'testkit',
  'tools',
  'tui',
  'types',
];
const SHARED_PROCESS_TESTS = SHARED_PROCESS_PACKAGES.map((name) => `packages/${name}/test/**/*.test.ts`);

// Tests import the compiled packages (`tsc -b` runs first in `npm test`), exactly as the
// `oxydra` binary does, so what is tested is what ships.
/**
 * The condition under which a package's test support resolves: `@oxydra/<package>/testing/<name>`
 * is packages/<package>/test/<name>.ts, declared in that package's exports under this condition
 * alone. Tests (here and tsconfig.test.json) resolve it; the build, the bundle and Node do not, so
 * no shipped code can import test support (scripts/check-test-imports.mjs says more).
 */
const TESTING_CONDITION = 'oxydra-testing';

export default defineConfig({
  // Added to vitest's own default: Vite's server conditions less 'module' (with 'module' a package
  // such as @opentelemetry/api resolves to an ES build Node cannot load). Vitest also passes these
  // to its workers' Node as --conditions.
  ssr: {
    resolve: {
      conditions: [
        TESTING_CONDITION,
        ...defaultServerConditions.filter((condition) => condition !== 'module'),
      ],
    },
  },
  test: {
    // Machines CI runs on differ: `node -e 0` took 50 ms on one and 100-120 ms on another, where
    // a test that takes 16 s on the first (a hundred processes under the suite's load) took over
    // 30 s. A timeout is there to end a test that hangs, not to time one: 60 s leaves room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CI (.ci/run) allows one retry, so one flaky test on a loaded machine does not fail a run
    // whose every test can pass; the summary reporter lists each such test as FLAKY with its
    // first failure, in the run's last lines. `npm test` elsewhere retries nothing.
    retry: Number(process.env.OXYDRA_TEST_RETRY ?? 0),
    pool: 'forks',
    // Two test files at a time: most of the time goes to waiting on child processes, sockets and
    // servers, so two run in about the time of one on a 2-core machine (vitest's default is one
    // fewer than the cores: one there).
    maxWorkers: 2,
    // Tests of a describe.concurrent (files whose tests mostly wait on timers of their own: the
    // scheduler's minute, a cluster's streamed turns) run three at a time, not vitest's five: each
    // test's processes then share the cores with two others' at most, which keeps a test inside its
    // timeout when CI's package step loads the machine. Tests bound by the binary's CPU gain
    // nothing from running side by side there (measured on the attack battery and run-e2e).
    maxConcurrency: 3,
    // The packages' builds (packages/*/dist, what tests import by package name) are plain
    // JavaScript: Node loads them itself, as the `oxydra` binary does, instead of vitest
    // transforming and running each module through its own module runner in every test file's
    // process. Resolved through the workspace's links they sit outside node_modules, which vitest
    // would otherwise treat as source: measured over the whole suite, import time 461 s -> 279 s
    // and transform 63 s -> 45 s (summed over files), the tests themselves unchanged. A test's
    // vi.mock of a module applies where a test or source file (../src) imports it; a build
    // importing it reaches the real one, as in the binary.
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    globalSetup: ['./scripts/vitest-global-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'libsql',
          include: ['packages/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SHARED_PROCESS_TESTS],
        },
      },
      {
        extends: true,
        test: { name: 'libsql-shared', include: SHARED_PROCESS_TESTS, isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: POSTGRES_MATRIX,
          exclude: [...configDefaults.exclude, ...POSTGRES_EXCLUDED],
          env: { OXYDRA_TEST_STORE: 'postgres' },
        },
      },
    ],
  },
});
