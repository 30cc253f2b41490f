/**
 * Issue 31, item 9: `oxydra service install|uninstall|status`. The unit text is checked by
 * systemd's own `systemd-analyze verify`; the refusal where systemd does not run the machine by
 * the real binary in a mount namespace whose /run/systemd is empty (so it holds on any machine);
 * and the whole cycle against a real systemd user manager: started in a private mount namespace
 * where /run/systemd/system exists (systemd refuses to run a user manager otherwise, and this
 * container's PID 1 is not systemd), the commands entering that namespace with nsenter.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY } from './agent-env.js';
import { IS_ROOT, OXYDRA_BIN } from './helpers.js';
import { freePort } from './ports.js';

let env: AgentEnv | undefined;
let manager: ChildProcess | undefined;
let runtimeDir: string | undefined;
afterEach(async () => {
  if (manager && manager.exitCode === null) {
    const exited = new Promise((resolve) => manager!.once('exit', resolve));
    manager.kill('SIGTERM'); // a user manager stops its services and exits
    await exited;
  }
  manager = undefined;
  if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
  runtimeDir = undefined;
  await env?.close();
  env = undefined;
});

const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const CAN_NAMESPACE = IS_ROOT && hasTool('unshare') && hasTool('nsenter');
const HAS_SYSTEMD = hasTool('systemd-analyze') && existsSync('/lib/systemd/systemd');
/** Runs the rest in a new mount namespace with an empty tmpfs on /run/systemd. */
const WITHOUT_SYSTEMD = [
  'unshare',
  '-m',
  '--propagation',
  'private',
  'sh',
  '-c',
  'mount -t tmpfs none /run/systemd && exec "$@"',
  'sh',
];

const start = () => AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);

describe('oxydra service', () => {
  it.runIf(HAS_SYSTEMD)(
    '--dry-run prints a unit systemd-analyze verify accepts, with no key in it',
    async () => {
      env = await start();
      const system = await env.run(['service', 'install', '--system', '--dry-run', '--port', '7788']);
      expect(system.status).toBe(0);
      const unit = system.stdout;
      expect(unit).toContain(`WorkingDirectory=${env.workspace}\n`);
      expect(unit).toContain(
        `ExecStart="${process.execPath}" "${OXYDRA_BIN}" "gateway" "--bind" "127.0.0.1:7788"\n`,
      );
      expect(unit).toContain('Restart=on-failure\n');
      expect(unit).toContain('RestartPreventExitStatus=2\n');
      expect(unit).toContain(`X-Oxydra-Workspace=${env.workspace}\n`);
      // The workspace belongs to an ordinary user (as root, "nobody"): the gateway runs as them.
      if (IS_ROOT) expect(unit).toContain('User=nobody\n');
      expect(unit).toContain('WantedBy=multi-user.target\n');
      expect(unit).not.toContain(E2E_KEY);
      const settings = unit.split('\n').filter((line) => !line.startsWith('#'));
      expect(
        settings.filter((line) =>
          /ProtectKernelTunables|RestrictNamespaces|MemoryDenyWriteExecute|PrivateUsers/.test(line),
        ),
      ).toEqual([]);

      const dir = mkdtempSync(join(tmpdir(), 'oxydra-unit-'));
      try {
        for (const [scope, text] of [
          ['system', unit],
          ['user', (await env.run(['service', 'install', '--user', '--dry-run'])).stdout],
        ] as const) {
          expect(text).toContain('NoNewPrivileges=yes\n');
          if (scope === 'user') {
            expect(text).not.toContain('User=');
            expect(text).toContain('WantedBy=default.target\n');
            expect(text).toContain(`EnvironmentFile=-${env.sandbox.home}/.config/oxydra/service.env\n`);
          }
          const path = join(dir, `oxydra-gateway-${scope}.service`);
          writeFileSync(path, text);
          const verify = spawnSync(
            'systemd-analyze',
            ['verify', ...(scope === 'user' ? ['--user'] : []), path],
            {
              encoding: 'utf8',
              env: { ...process.env, XDG_RUNTIME_DIR: dir },
            },
          );
          // verify exits 0 even for settings it ignores: any word from it is a problem, but one.
          // As root the test workspace belongs to "nobody" (helpers.ts), whom systemd warns about
          // running services as; a person's workspace belongs to a real account.
          const words = verify.stderr
            .trim()
            .split('\n')
            .filter(
              (line) =>
                line !== '' &&
                !(IS_ROOT && line.endsWith('Special user nobody configured, this is not safe!')),
            )
            .join('\n');
          expect({ scope, status: verify.status, stderr: words }).toEqual({
            scope,
            status: 0,
            stderr: '',
          });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.runIf(CAN_NAMESPACE)(
    'where systemd does not run the machine: one line saying so and the way out (needs root for a mount namespace)',
    async () => {
      env = await start();
      env.commandPrefix = WITHOUT_SYSTEMD;
      for (const command of ['install', 'status', 'uninstall']) {
        const result = await env.run(['service', command]);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(
          /^error: systemd is not running this machine \(PID 1 is .+\), so there is no service manager to install the gateway into\n {2}hint: print the unit with `oxydra service install --dry-run` and run `oxydra gateway` under your own supervisor \(or in a terminal\)\n$/,
        );
      }
      expect(existsSync(join(env.sandbox.home, '.config', 'systemd'))).toBe(false);
    },
  );

  it.runIf(CAN_NAMESPACE && HAS_SYSTEMD)(
    'install -> the gateway answers on its port -> status -> uninstall, under a real systemd user manager (needs root for its mount namespace)',
    async () => {
      env = await start();
      runtimeDir = mkdtempSync(join(tmpdir(), 'oxydra-xdg-'));
      // The manager gets the sandbox's environment (HOME, the test's config dirs) but not the
      // API key: that comes from the EnvironmentFile, as the unit tells a person to do.
      const managerEnv: NodeJS.ProcessEnv = { ...env.sandbox.env, XDG_RUNTIME_DIR: runtimeDir };
      delete managerEnv.MOCK_KEY;
      manager = spawn(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount -t tmpfs none /run/systemd && mkdir /run/systemd/system && exec /lib/systemd/systemd --user',
        ],
        { env: managerEnv, stdio: 'ignore' },
      );
      const socket = join(runtimeDir, 'systemd', 'private');
      await pollUntil(() => existsSync(socket), 'the user manager', { timeoutMs: 20_000 });
      env.sandbox.env = { ...env.sandbox.env, XDG_RUNTIME_DIR: runtimeDir };
      // nsenter -m starts in the namespace's root folder unless told where: the workspace.
      env.commandPrefix = ['nsenter', '-t', String(manager.pid), '-m', `--wd=${env.workspace}`, '--'];
      const keys = join(env.sandbox.home, '.config', 'oxydra', 'service.env');
      mkdirSync(join(env.sandbox.home, '.config', 'oxydra'), { recursive: true });
      writeFileSync(keys, `MOCK_KEY=${E2E_KEY}\n`, { mode: 0o600 });

      const port = await freePort();
      const installed = await env.run(['service', 'install', '--user', '--port', String(port)]);
      expect(installed.stderr).toBe('');
      expect(installed.status).toBe(0);
      const unitPath = /^installed (\S+) and started it \((oxydra-gateway-[0-9a-f]{10})\.service\)$/m.exec(
        installed.stdout,
      );
      expect(unitPath?.[1]).toBe(
        join(env.sandbox.home, '.config', 'systemd', 'user', `${unitPath?.[2]}.service`),
      );
      expect(statSync(unitPath![1]!).mode & 0o777).toBe(0o644);
      expect(readFileSync(unitPath![1]!, 'utf8')).not.toContain(E2E_KEY);

      // The gateway the manager started answers on the port, its bubblewrap sandbox working.
      const url = `http://127.0.0.1:${port}`;
      let ready: { status?: string; sandbox?: { shell?: string } } = {};
      await pollUntil(
        async () => {
          ready = await fetch(`${url}/readyz`)
            .then((response) => response.json() as Promise<typeof ready>)
            .catch(() => ({}));
          return ready.status === 'ready';
        },
        () => `${url}/readyz to answer ready (last answer: ${JSON.stringify(ready)})`,
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      expect(ready).toMatchObject({ status: 'ready', sandbox: { shell: 'sandboxed' } });

      // status: installed, active, its address and the last lines of its log.
      let status = await env.run(['service', 'status', '--user']);
      await pollUntil(
        async () => {
          if (status.stdout.includes('url:')) return true;
          status = await env!.run(['service', 'status', '--user']);
          return false;
        },
        () => `service status to show the url (last output: ${status.stdout})`,
        { timeoutMs: 5000, intervalMs: 100 },
      );
      expect(status.status).toBe(0);
      expect(status.stdout).toMatch(
        new RegExp(`^${unitPath![2]}\\.service \\(user\\): installed, active, pid \\d+\\n`),
      );
      expect(status.stdout).toContain(`  url: ${url}\n`);
      // The key reached the gateway from the EnvironmentFile (the manager never had it).
      const pid = /, pid (\d+)\n/.exec(status.stdout)![1];
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`MOCK_KEY=${E2E_KEY}`);
      expect(status.stdout).toMatch(/^ {4}\S+Z INFO {2}listening on http:\/\/127\.0\.0\.1:\d+ /m);

      // Installing again updates our own unit; a unit that is not ours is never overwritten.
      const again = await env.run(['service', 'install', '--user', '--port', String(port)]);
      expect(again.stdout).toMatch(/^updated /);
      writeFileSync(unitPath![1]!, '[Service]\nExecStart=/bin/true\n');
      const foreign = await env.run(['service', 'install', '--user']);
      expect(foreign.status).toBe(2);
      expect(foreign.stderr).toContain('was not written by oxydra service install for');
      expect(readFileSync(unitPath![1]!, 'utf8')).toBe('[Service]\nExecStart=/bin/true\n');
      expect((await env.run(['service', 'uninstall', '--user'])).status).toBe(2);

      // Ours again, then uninstall: stopped, disabled, removed; the port goes quiet.
      await env
        .run(['service', 'install', '--user', '--dry-run', '--port', String(port)])
        .then(({ stdout }) => writeFileSync(unitPath![1]!, stdout));
      const removed = await env.run(['service', 'uninstall', '--user']);
      expect(removed.stdout).toBe(`stopped and removed ${unitPath![2]}.service (${unitPath![1]})\n`);
      expect(removed.status).toBe(0);
      expect(existsSync(unitPath![1]!)).toBe(false);
      await expect(fetch(`${url}/readyz`)).rejects.toThrow();
      const gone = await env.run(['service', 'status', '--user']);
      expect(gone.status).toBe(1);
      expect(gone.stdout).toMatch(/^oxydra-gateway-[0-9a-f]{10}\.service \(user\): not installed\n/);
    },
  );
});
