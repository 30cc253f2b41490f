/**
 * A real kernel on a temporary workspace, its model the testkit's mock OpenAI server (the real
 * wire, the real adapter), priced as gpt-4o-mini so dollar limits apply. Memory is a real libSQL
 * file in the workspace, or with OXYDRA_TEST_STORE=postgres (the `postgres` vitest project) the
 * PostgreSQL stores on a schema of the kernel's own, dropped when it closes. Each test closes
 * what it opened.
 */
import { execFileSync } from 'node:child_process';
import {
  dropTestSchema,
  ON_POSTGRES,
  openTestPostgres,
  type TestPostgres,
} from '@oxydra/store-postgres/testing/test-store';
import { type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import type { AgentConfigInput } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { type Kernel, type KernelEvent, type KernelOptions, openKernel } from '../src/index.js';
import { mintOwnerGrant } from '../src/services/session-access.js';

/** On the PostgreSQL side of the store matrix: for `it.skipIf(ON_POSTGRES)`, its reason said beside it. */
export { ON_POSTGRES } from '@oxydra/store-postgres/testing/test-store';

export const KEY = 'sk-kernel-test-0123456789abcdef';

export interface TestKernel {
  kernel: Kernel;
  mock: MockLLM;
  workspace: string;
  /** On PostgreSQL (OXYDRA_TEST_STORE=postgres): the schema the kernel's stores are in. */
  schema: string | undefined;
  close(): Promise<void>;
}

const open: TestKernel[] = [];

/** Closes every kernel a test opened (call from afterEach). */
export async function closeAll(): Promise<void> {
  for (const test of open.splice(0)) await test.close();
}

export async function testKernel(
  steps: ScenarioStep[],
  config: AgentConfigInput = {},
  options: Partial<KernelOptions> = {},
): Promise<TestKernel> {
  const mock = await startMockLLM({ api: 'openai-chat', scenario: steps });
  const folder = tempWorkspace({ prefix: 'oxydra-kernel-' });
  const workspace = folder.dir;
  const parsed = agentConfigSchema.parse({
    ...config,
    selection: { provider: 'mock', model: 'gpt-4o-mini', ...config.selection },
    providers: {
      registry: {
        mock: {
          provider_type: 'openai',
          base_url: mock.url,
          api_key_env: 'MOCK_KEY',
          catalog_provider: 'openai',
          ...config.providers?.registry?.mock,
        },
        ...Object.fromEntries(
          Object.entries(config.providers?.registry ?? {}).filter(([name]) => name !== 'mock'),
        ),
      },
    },
    tools: { approval: 'auto', ...config.tools, sandbox: { mode: 'none', ...config.tools?.sandbox } },
  });
  const postgres = ON_POSTGRES ? await openTestPostgres() : undefined;
  const kernel = await onStore(postgres, {
    workspace,
    config: parsed,
    host: 'test',
    env: { MOCK_KEY: KEY, HOME: workspace, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    warn: () => {},
    ...options,
  });
  const test: TestKernel = {
    kernel,
    mock,
    workspace,
    schema: postgres?.schema,
    async close() {
      await kernel.close();
      await mock.close();
      folder.cleanup();
      if (postgres) await dropTestSchema(postgres.schema);
    },
  };
  open.push(test);
  return test;
}

/**
 * Another kernel on a test kernel's workspace, as a second process would open it (its own
 * database connections); the caller closes it. Memory should be off in `first`: two memory
 * clients on one file in one process wait on each other (separate processes do not).
 */
export async function secondKernel(first: TestKernel, options: Partial<KernelOptions> = {}): Promise<Kernel> {
  // PostgreSQL: a pool of its own on the first kernel's schema.
  const postgres = first.schema !== undefined ? await openTestPostgres(first.schema) : undefined;
  return onStore(postgres, {
    workspace: first.workspace,
    config: first.kernel.config,
    host: 'test',
    env: { MOCK_KEY: KEY, HOME: first.workspace, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    warn: () => {},
    ...options,
  });
}

/**
 * openKernel, on the PostgreSQL stores when given (the test's own `stores` win), whose pool
 * closes after the kernel's close, as the CLI's hosts close it.
 */
async function onStore(postgres: TestPostgres | undefined, options: KernelOptions): Promise<Kernel> {
  if (!postgres) return openKernel(options);
  let kernel: Kernel;
  try {
    kernel = await openKernel({ ...options, stores: { ...postgres.kernel, ...options.stores } });
  } catch (error) {
    await postgres.close();
    throw error;
  }
  const closeKernel = kernel.close.bind(kernel);
  let closing: Promise<void> | undefined;
  kernel.close = () => {
    closing ??= closeKernel().finally(() => postgres.close());
    return closing;
  };
  return kernel;
}

/** Every event of a stream, in order. */
export async function collect(events: AsyncIterable<KernelEvent>): Promise<KernelEvent[]> {
  const all: KernelEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

export const text = (reply: string, usage?: { input: number; output: number }): ScenarioStep => ({
  reply: { text: reply, ...(usage ? { usage } : {}) },
});

/**
 * Makes `workspace` a git repository with one empty commit per subject, by "Ada", the user's own
 * git configuration left out (and safe.directory open: tests run as root in folders owned by
 * another user).
 */
export function gitCommits(workspace: string, ...subjects: string[]): void {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: workspace, GIT_CONFIG_NOSYSTEM: '1' };
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: workspace, env, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  for (const subject of subjects) {
    git(
      '-c',
      'user.name=Ada',
      '-c',
      'user.email=ada@example.invalid',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      subject,
    );
  }
}

/**
 * The whole session store, through the kernel's owner-only path (the facade has no unscoped
 * store): what a test checks of stored sessions, acting as the workspace's owner.
 */
export async function ownerSessions(kernel: Pick<Kernel, 'service'>) {
  // The kernel's own tests mint the grant openKernel(…, { ownerGrant: true }) would give.
  const access = await kernel.service('sessionAccess');
  const store = await access.ownerStore(mintOwnerGrant(access));
  if (!store) throw new Error('memory is off: no sessions are stored');
  return store;
}
