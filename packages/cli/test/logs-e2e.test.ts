/**
 * Issue 31, item 9: a running `oxydra gateway` appends its log to .oxydra/logs/gateway.log
 * (private, JSON lines), and `oxydra logs` prints it, `-f` following it until Ctrl-C. Also the
 * plain mistakes: no log yet, a link planted at the path (refused by the reader and the writer).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
let follower: ChildProcess | undefined;
let sandbox: CliSandbox | undefined;
afterEach(async () => {
  follower?.kill('SIGKILL');
  follower = undefined;
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
});

describe('oxydra logs', () => {
  it("prints the running gateway's log, and -f prints a new line as the gateway writes it", async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
    daemon = await GatewayDaemon.start(env);
    const path = join(env.workspace, '.oxydra', 'logs', 'gateway.log');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.workspace, '.oxydra', 'logs')).mode & 0o777).toBe(0o700);
    // The file holds what the gateway printed, as JSON lines.
    const stored = readFileSync(path, 'utf8').trim().split('\n');
    expect(stored.map((line) => JSON.parse(line).msg)).toContain(
      `listening on ${daemon.url} (WebSocket ${daemon.wsUrl})`,
    );

    const printed = await env.run(['logs']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z INFO  listening on ${daemon.url.replace(/\./g, '\\.')} `,
        'm',
      ),
    );
    const json = await env.run(['logs', '--json', '--tail', '1']);
    expect(json.stdout.trim().split('\n')).toEqual([stored.at(-1)]);

    // -f: a refused request makes the gateway log a warning, which arrives while following.
    follower = env.spawn(['logs', '-f', '--tail', '1']);
    let output = '';
    follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => follower!.once('exit', resolve));
    await pollUntil(() => output.includes('INFO'), 'the last line before following', { timeoutMs: 20_000 });
    expect(output).not.toContain('refused a request');
    const response = await fetch(`${daemon.url}/api/v1/sessions`);
    expect(response.status).toBe(401);
    await pollUntil(() => output.includes('refused a request without a valid token'), 'the new line', {
      timeoutMs: 20_000,
    });
    expect(output).toMatch(
      /WARN {2}refused a request without a valid token remote=127\.0\.0\.1 path=\/api\/v1\/sessions/,
    );
    follower.kill('SIGINT');
    expect(await exited).toBe(130);
  });

  it('says there is no log yet, and refuses a bad --tail and a link planted at the path', async () => {
    sandbox = new CliSandbox();
    const none = sandbox.run('logs');
    expect(none.status).toBe(1);
    const path = join(sandbox.workspace, '.oxydra', 'logs', 'gateway.log');
    expect(none.stderr).toBe(
      `no gateway log yet at ${path} (a gateway writes it from its start: oxydra gateway)\n`,
    );
    expect(sandbox.run('logs', '--tail', '0').stderr).toBe(
      'error: --tail 0: expected a whole number of lines from 1 to 10000\n',
    );

    mkdirSync(join(sandbox.workspace, '.oxydra', 'logs'), { recursive: true, mode: 0o700 });
    const secret = join(sandbox.root, 'secret.txt');
    writeFileSync(secret, 'do not print me\n');
    symlinkSync(secret, path);
    const refused = sandbox.run('logs');
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `error: refusing to read ${path}: it is a symbolic link\n  hint: remove it (${path}); the gateway writes a plain file there\n`,
    );
  });

  it('reads across the rotated copies, and -f follows the file across a rotation', async () => {
    sandbox = new CliSandbox();
    const logs = join(sandbox.workspace, '.oxydra', 'logs');
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    const line = (msg: string) =>
      `${JSON.stringify({ time: '2026-11-25T01:00:00.000Z', level: 'info', msg })}\n`;
    writeFileSync(join(logs, 'gateway.log.2'), line('oldest'));
    writeFileSync(join(logs, 'gateway.log.1'), line('older'));
    writeFileSync(join(logs, 'gateway.log'), line('current'));
    expect(sandbox.run('logs', '--tail', '2').stdout).toBe(
      '2026-11-25T01:00:00.000Z INFO  older\n2026-11-25T01:00:00.000Z INFO  current\n',
    );
    expect(sandbox.run('logs').stdout.split('\n').filter(Boolean)).toHaveLength(3);

    follower = spawn(process.execPath, [OXYDRA_BIN, 'logs', '-f', '--tail', '1'], {
      cwd: sandbox.workspace,
      env: sandbox.env,
    });
    let output = '';
    follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => follower!.once('exit', resolve));
    await pollUntil(() => output.includes('current'), 'the last line', { timeoutMs: 20_000 });
    // What a gateway's rotation does: a last line, the file renamed to .1, a new file.
    appendFileSync(join(logs, 'gateway.log'), line('last before rotation'));
    renameSync(join(logs, 'gateway.log.1'), join(logs, 'gateway.log.2'));
    renameSync(join(logs, 'gateway.log'), join(logs, 'gateway.log.1'));
    writeFileSync(join(logs, 'gateway.log'), line('first after rotation'));
    await pollUntil(() => output.includes('first after rotation'), 'the line in the new file', {
      timeoutMs: 20_000,
    });
    follower.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(
      output
        .split('\n')
        .filter(Boolean)
        .map((text) => text.slice(31)),
    ).toEqual(['current', 'last before rotation', 'first after rotation']);
  });

  it('a gateway finding a link at the log path says so and serves without the file', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
    const path = join(env.workspace, '.oxydra', 'logs', 'gateway.log');
    mkdirSync(join(env.workspace, '.oxydra', 'logs'), { recursive: true, mode: 0o700 });
    const target = join(env.sandbox.root, 'target.txt');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, path);
    daemon = await GatewayDaemon.start(env);
    expect(
      daemon
        .logs()
        .filter((line) => line.level === 'warn')
        .map((line) => line.msg),
    ).toContain(`not writing the log file: ${path} is a symbolic link: refusing to write through it`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });
});
