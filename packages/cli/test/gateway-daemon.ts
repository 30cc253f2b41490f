/**
 * The real `oxydra gateway` as a child process for end-to-end tests: started in an AgentEnv's
 * workspace with --log-format json, its address read from the "listening" log line, its token
 * from the file it generated under the sandbox's HOME. Started means what a supervisor or
 * `oxydra status` sees: the line written AND the gateway's record naming that address (the
 * gateway writes the line first, on purpose: gateway-listening-e2e).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { runningGateways } from '../src/run/gateway-registry.js';
import type { AgentEnv } from './agent-env.js';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export class GatewayDaemon {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  url = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        // A process ended by a signal has no code: say which, so a failed exit check shows it.
        if (signal) this.stderr += `\n[ended by ${signal}]\n`;
        resolve(code);
      }),
    );
  }

  /** Starts `oxydra gateway --bind 127.0.0.1:0 --log-format json` and waits until it listens. */
  static start(env: AgentEnv, args: string[] = []): Promise<GatewayDaemon> {
    return GatewayDaemon.launch(env, ['gateway', '--bind', '127.0.0.1:0', '--log-format', 'json', ...args]);
  }

  /** Starts `oxydra gateway --log-format json` where the configuration says (no --bind). */
  static startConfigured(env: AgentEnv): Promise<GatewayDaemon> {
    return GatewayDaemon.launch(env, ['gateway', '--log-format', 'json']);
  }

  private static async launch(env: AgentEnv, argv: string[]): Promise<GatewayDaemon> {
    const daemon = new GatewayDaemon(env.spawn(argv));
    let exitCode: number | null | undefined;
    void daemon.exited.then((code) => {
      exitCode = code;
    });
    await pollUntil(
      () => exitCode !== undefined || daemon.logs().some((line) => line.msg.startsWith('listening on')),
      'the gateway to listen',
      // A bound for a loaded machine (a start is under a second when idle).
      { timeoutMs: 45_000 },
    );
    const listening = daemon.logs().find((line) => line.msg.startsWith('listening on'));
    if (!listening) throw new Error(`the gateway exited (${exitCode}): ${daemon.stderr}${daemon.stdout}`);
    daemon.url = /listening on (\S+)/.exec(listening.msg)![1]!;
    // The record gets its address just after the line: a test reading it, or running `oxydra
    // status` or `oxydra dashboard`, the moment the line is out would race the gateway (CI did).
    const workspace = String(listening.workspace);
    await pollUntil(
      () => exitCode !== undefined || runningGateways(workspace).some((record) => record.url === daemon.url),
      () => `the gateway's record under ${workspace}/.oxydra/gateways to name ${daemon.url}`,
      { timeoutMs: 45_000 },
    );
    if (exitCode !== undefined)
      throw new Error(`the gateway exited (${exitCode}): ${daemon.stderr}${daemon.stdout}`);
    return daemon;
  }

  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/ws`;
  }

  logs(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** The token a first start generated, where clients on this machine find it. */
export function generatedToken(env: AgentEnv): string {
  return readFileSync(join(env.sandbox.home, '.config', 'oxydra', 'gateway-token'), 'utf8').trim();
}

/** A test's teardown: the gateway killed and gone, then its workspace closed (either may be absent). */
export async function stopGatewayAndEnv(
  daemon: GatewayDaemon | undefined,
  env: AgentEnv | undefined,
): Promise<void> {
  if (daemon) {
    daemon.kill('SIGKILL');
    await daemon.exited;
  }
  await env?.close();
}
