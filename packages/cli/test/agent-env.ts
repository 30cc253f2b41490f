/**
 * An end-to-end setting for `oxydra run`: the testkit mock of one wire API in this process, a
 * workspace whose .oxydra/agent.toml points a "mock" provider at it, and the real binary
 * spawned asynchronously (so the in-process mock can answer it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { MOCKED_PROVIDERS, type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import type { ProviderType, StreamEvent } from '@oxydra/types';
import type { TestContext } from 'vitest';
import { CliSandbox, jsonEvents, OXYDRA_BIN } from './helpers.js';
import { TmuxPane } from './tui-tmux.js';

/**
 * Each provider type a mock server speaks for, with its mock wire (the testkit's, in its
 * API_BY_PROVIDER order): a new wire is covered by the tests that loop over these without an edit
 * here. The tests that need one wire take the first (openai, OpenAI Chat).
 */
export const E2E_APIS = MOCKED_PROVIDERS;

export const E2E_KEY = 'sk-e2e-secret-0123456789';

export interface RunOutput {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (with --json). */
  events: StreamEvent[];
}

export class AgentEnv {
  readonly sandbox: CliSandbox;
  private constructor(
    readonly mock: MockLLM,
    readonly type: ProviderType,
    extraToml: string,
  ) {
    this.sandbox = new CliSandbox({ MOCK_KEY: E2E_KEY });
    this.sandbox.write(
      '.oxydra/agent.toml',
      `[selection]
provider = "mock"
model = "gpt-4o-mini"

[providers.registry.mock]
provider_type = "${type}"
base_url = "${mock.url}"
api_key_env = "MOCK_KEY"
catalog_provider = "openai"

[tools]
approval = "auto"

[reliability]
backoff_base_ms = 1
backoff_max_ms = 1
${extraToml}`,
    );
  }

  static async start(
    target: (typeof E2E_APIS)[number],
    steps: ScenarioStep[],
    extraToml = '',
  ): Promise<AgentEnv> {
    const mock = await startMockLLM({ api: target.api, scenario: steps });
    return new AgentEnv(mock, target.type, extraToml);
  }

  /**
   * `start`, closed when the test ends (`onTestFinished` from the test's context): each test has
   * its own, so tests in a `describe.concurrent` can run side by side.
   */
  static async startFor(
    onTestFinished: TestContext['onTestFinished'],
    ...args: Parameters<typeof AgentEnv.start>
  ): Promise<AgentEnv> {
    const env = await AgentEnv.start(...args);
    onTestFinished(() => env.close());
    return env;
  }

  get workspace(): string {
    return this.sandbox.workspace;
  }

  /** Where commands start; the workspace unless a test moves into a subfolder. */
  cwd?: string;
  /** Runs the binary through this argv (e.g. `unshare -m …` to change what the machine has). */
  commandPrefix: string[] = [];
  /**
   * Run the bin file itself, as a shell runs the `oxydra` command (its launcher line, then the
   * `node` found on PATH: this test's runtime), instead of `node bin/oxydra.js`.
   */
  asCommand = false;

  spawn(args: string[], input?: string): ChildProcess {
    const node = this.asCommand ? [] : [process.execPath];
    const [program, ...argv] = [...this.commandPrefix, ...node, OXYDRA_BIN, ...args] as [string, ...string[]];
    const env = this.asCommand
      ? {
          ...this.sandbox.env,
          PATH: `${dirname(process.execPath)}${delimiter}${this.sandbox.env.PATH ?? ''}`,
        }
      : this.sandbox.env;
    const child = spawn(program, argv, {
      cwd: this.cwd ?? this.sandbox.workspace,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    return child;
  }

  /** Run `oxydra <args>` to completion; `during` may act on the live process (e.g. send SIGINT). */
  async run(
    args: string[],
    during?: (child: ChildProcess, output: () => string) => Promise<void>,
    input?: string,
  ): Promise<RunOutput> {
    const child = this.spawn(args, input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => {
        // A signal death has no status; say which signal, or a failing assertion shows only null.
        if (signal !== null) stderr += `\n[agent-env] oxydra ${args[0] ?? ''} died of ${signal}\n`;
        resolve(code);
      }),
    );
    if (during) await during(child, () => stdout);
    const status = await exited;
    await new Promise((resolve) => setImmediate(resolve));
    return { status, stdout, stderr, events: jsonEvents(stdout) };
  }

  /**
   * `oxydra <args>` on a terminal: a tmux pane in the workspace, with only the variables a
   * person's shell would give it (plus `extra`). The caller kills the pane.
   */
  inPane(args: string[], extra: Record<string, string> = {}): TmuxPane {
    const pane = new TmuxPane(this.sandbox.root);
    pane.start(
      [process.execPath, OXYDRA_BIN, ...args],
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.sandbox.home,
        OXYDRA_SYSTEM_CONFIG_DIR: this.sandbox.system,
        MOCK_KEY: E2E_KEY,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
        ...extra,
      },
      this.sandbox.workspace,
    );
    return pane;
  }

  /** The text of every request body the mock received, for "did the model see X" checks. */
  requestText(index: number): string {
    return this.mock.requests[index]?.raw ?? '';
  }

  async close(): Promise<void> {
    await this.mock.close();
    this.sandbox.cleanup();
  }
}
