/**
 * prepareRun's options for callers that assemble several runs (the gateway): a memory database
 * handed in is used and left open for its owner; sessions opened for a user are stored as that
 * user's, and sessions opened without one (oxydra run, chat) stay as they were.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { prepareRun, type RunSetup } from '../src/run/setup.js';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox | undefined;
const setups: RunSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0).reverse()) await setup.close();
  sandbox?.cleanup();
  sandbox = undefined;
});

/** A workspace whose provider is never called: these tests stop before any model call. */
function workspace(): CliSandbox {
  sandbox = new CliSandbox({ MOCK_KEY: 'sk-setup-test-0123456789' });
  sandbox.write(
    '.oxydra/agent.toml',
    `[selection]
provider = "mock"
model = "gpt-4o-mini"

[providers.registry.mock]
provider_type = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "MOCK_KEY"
catalog_provider = "openai"
`,
  );
  return sandbox;
}

async function setup(options: Partial<Parameters<typeof prepareRun>[1]> = {}): Promise<RunSetup> {
  const made = await prepareRun({}, { workspace: sandbox!.workspace, env: sandbox!.env, ...options });
  setups.push(made);
  return made;
}

describe('prepareRun with an open memory database', () => {
  it('uses the one handed in and leaves it open on close(); its owner closes it', async () => {
    workspace();
    const owner = await setup();
    const shared = await setup({ memory: owner.memory! });
    expect(shared.memory).toBe(owner.memory);
    await shared.close();
    expect(owner.memory!.db.client.closed).toBe(false);
    // Still usable by everyone holding it.
    expect((await shared.openSession())?.id).toMatch(/\S/);
    await owner.close();
    expect(owner.memory!.db.client.closed).toBe(true);
  });
});

describe('openSession for a user', () => {
  it("stores the session as the user's; without a user, as before (no user)", async () => {
    workspace();
    const run = await setup();
    const sessions = run.memory!.db.sessions;
    const mine = await run.openSession(undefined, { userId: 'alice' });
    expect((await sessions.get(mine!.id))?.userId).toBe('alice');
    expect(mine!.options.userId).toBe('alice');
    const named = await run.openSession('named-session', { userId: 'bob' });
    expect((await sessions.get(named!.id))?.userId).toBe('bob');
    const plain = await run.openSession();
    expect((await sessions.get(plain!.id))?.userId).toBeUndefined();
    expect(plain!.options.userId).toBeUndefined();
  });
});
