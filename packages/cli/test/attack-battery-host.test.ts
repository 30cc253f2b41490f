/**
 * The attack battery, continued: attacks on the host itself (issue "security hardening",
 * classes 1, 5, 6 and 7). Each is the real `oxydra run --json` with a scripted model, and each
 * checks the host afterwards: root-only files never reach a request, global sysctls unchanged,
 * Oxydra's config folders unreadable, no command run when no sandbox can start, no disk filled.
 * CI runs as root, the case these attacks matter most for; the ordinary-user case of the same
 * mechanisms is covered by packages/sandbox/test/root-identity.test.ts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloClient } from '@oxydra/gateway/testing/hello-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { type AttackResult, attack, closeAttack, marker } from './attack-helpers.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { IS_ROOT } from './helpers.js';
import { trustWorkspace } from './trust-helpers.js';

const hasBwrap = existsSync('/usr/bin/bwrap');
const sh = (command: string) => ({ name: 'shell_exec', arguments: { command } });
const tool = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });

/** The default sandbox (mode auto), commands approved, a short timeout. */
const AUTO = '\n[tools.shell]\ncommand_timeout_secs = 10\n';

afterEach(async () => {
  await closeAttack();
});

function shellOutput(a: AttackResult, index = 0): string {
  const end = a.ends[index];
  expect(end, `tool result ${index}`).toBeDefined();
  expect(end!.name).toBe('shell_exec');
  expect(a.run.status).toBe(0);
  return end!.content;
}

/** A folder under /etc (bound read-only into every sandbox) removed after the test. */
function etcDir(tag: string): { dir: string; remove: () => void } {
  const dir = `/etc/oxydra-attack-${tag}-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs the binary in a private mount namespace where bubblewrap cannot start (an empty file
 * bound over it): the state of a machine without bubblewrap, or where Ubuntu 24.04 refuses it
 * the user namespaces it needs.
 */
const BWRAP_BROKEN = [
  'unshare',
  '-m',
  '--propagation',
  'private',
  'sh',
  '-c',
  'mount --bind /dev/null /usr/bin/bwrap && exec "$@"',
  'sh',
];

// Root-only host files only differ from any other unreadable file when Oxydra is root.
describe.skipIf(!hasBwrap || !IS_ROOT)('host root is out of reach when Oxydra runs as root', () => {
  it('shell_exec cannot read root-only host files (/etc/shadow, /etc/gshadow, a planted 0600 file)', async () => {
    const planted = etcDir('rootonly');
    try {
      const secret = marker('rootonly');
      const file = join(planted.dir, 'key.pem');
      writeFileSync(file, `${secret}\n`, { mode: 0o600 });
      chmodSync(planted.dir, 0o755);
      const a = await attack(
        [sh(`id -u; cat /etc/shadow /etc/gshadow ${file}; od -c ${file} | head -n 3; echo END`)],
        { extraToml: AUTO },
      );
      const out = shellOutput(a);
      expect(out).toMatch(/^exit code: \d+\n65534\n/);
      expect(out).toMatch(/Permission denied/);
      expect(a.requests).not.toContain(secret);
      expect(a.requests).not.toMatch(/root:[^\n"]*:\d+:/);
    } finally {
      planted.remove();
    }
  });

  it('shell_exec cannot write global sysctls (kernel.core_pattern), even with run_as = "root"', async () => {
    // kernel.sysrq exists only on kernels built with SysRq.
    const knobs = ['/proc/sys/kernel/core_pattern', '/proc/sys/kernel/sysrq'].filter((knob) =>
      existsSync(knob),
    );
    const before = knobs.map((knob) => readFileSync(knob, 'utf8'));
    // Should a regression let the write through, the host gets its values back.
    const restore = () =>
      knobs.forEach((knob, i) => {
        if (readFileSync(knob, 'utf8') !== before[i]) writeFileSync(knob, before[i]!.trimEnd());
      });
    const write = sh(
      'echo "|/tmp/pwn %p" > /proc/sys/kernel/core_pattern; echo 1 > /proc/sys/kernel/sysrq; echo END',
    );
    for (const runAs of ['auto', 'root']) {
      const a = await attack([write], {
        extraToml: `\n[tools.sandbox]\nrun_as = "${runAs}"\n${AUTO}`,
      });
      const after = knobs.map((knob) => readFileSync(knob, 'utf8'));
      restore();
      const out = shellOutput(a);
      expect(out).toMatch(/Read-only file system|Permission denied/);
      expect(after).toEqual(before);
      if (runAs === 'root') expect(a.run.stderr).toMatch(/commands run as host root/);
      await closeAttack();
    }
  });

  it('files a command creates belong to the workspace owner, never to root', async () => {
    const a = await attack([sh('echo made > made-by-command.txt; id -u')], { extraToml: AUTO });
    expect(shellOutput(a)).toContain('65534');
    expect(statSync(join(a.env.workspace, 'made-by-command.txt')).uid).toBe(65534);
  });
});

describe.skipIf(!hasBwrap)("Oxydra's configuration folders are hidden wherever they are", () => {
  it('the system config dir (OXYDRA_SYSTEM_CONFIG_DIR under /etc) is masked from commands', async () => {
    const system = etcDir('system');
    try {
      const secret = marker('syskey');
      writeFileSync(join(system.dir, 'providers.toml'), `# ${secret}\n`);
      chmodSync(system.dir, 0o755);
      const a = await attack(
        [
          sh(
            `cat ${system.dir}/providers.toml; od -c ${system.dir}/providers.toml; ls -a ${system.dir}; echo END`,
          ),
        ],
        {
          extraToml: AUTO,
          extraEnv: { OXYDRA_SYSTEM_CONFIG_DIR: system.dir },
        },
      );
      expect(shellOutput(a)).toContain('END');
      expect(a.requests).not.toContain(secret);
    } finally {
      system.remove();
    }
  });

  it('an XDG_CONFIG_HOME inside the workspace is refused to file tools and masked from commands', async () => {
    const secret = marker('xdgkey');
    const a = await attack(
      [
        tool('file_read', { path: 'xdg/oxydra/gateway-token' }),
        tool('file_search', { path: 'xdg', query: 'xdgkey' }),
        sh('cat xdg/oxydra/gateway-token xdg/oxydra/agent.toml; od -c xdg/oxydra/gateway-token; echo END'),
      ],
      {
        extraToml: AUTO,
        prepare: (env) => {
          env.sandbox.write('xdg/oxydra/gateway-token', `${secret}\n`);
          env.sandbox.write('xdg/oxydra/agent.toml', `# ${secret}\n`);
          env.sandbox.env.XDG_CONFIG_HOME = join(env.workspace, 'xdg');
          // Trust decisions live in the user's configuration folder, which just moved.
          trustWorkspace(env.workspace, env.sandbox.env);
        },
      },
    );
    expect(a.ends[0]!.isError).toBe(true);
    expect(a.ends[0]!.content).toMatch(/secrets folder/);
    expect(shellOutput(a, 2)).toContain('END');
    expect(a.requests).not.toContain(secret);
  });
});

describe.skipIf(!hasBwrap || !IS_ROOT)(
  'no sandbox: shell_exec fails closed (root needed to hide bubblewrap in a mount namespace)',
  () => {
    it('oxydra run refuses every command, names the fix, and runs nothing on the host', async () => {
      const a = await attack([sh('touch ran-unsandboxed.txt; echo RAN')], {
        extraToml: AUTO,
        prepare: (env) => {
          env.commandPrefix = BWRAP_BROKEN;
        },
      });
      const end = a.ends[0]!;
      expect(end.isError).toBe(true);
      expect(end.content).toMatch(/no working sandbox/);
      expect(end.content).toMatch(/--sandbox none/);
      expect(existsSync(join(a.env.workspace, 'ran-unsandboxed.txt'))).toBe(false);
      expect(a.requests).not.toContain('RAN\\n');
      expect(a.run.stderr).toMatch(/shell_exec is unavailable/);
    });

    it('--sandbox none is the explicit way out, and says so', async () => {
      const a = await attack([sh('echo RAN-BARE')], {
        extraToml: AUTO,
        args: ['--sandbox', 'none'],
        prepare: (env) => {
          env.commandPrefix = BWRAP_BROKEN;
        },
      });
      expect(shellOutput(a)).toContain('RAN-BARE');
      expect(a.run.stderr).toMatch(/SANDBOX OFF/);
    });

    it('the gateway reports the refused tier in its start-up log, /readyz and hello_ack', async () => {
      const env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }], AUTO);
      env.commandPrefix = BWRAP_BROKEN;
      const daemon = await GatewayDaemon.start(env);
      try {
        const listening = daemon.logs().find((line) => line.msg.startsWith('listening on'));
        expect(String(listening?.sandbox)).toMatch(/shell_exec refused/);
        const ready = (await (await fetch(`${daemon.url}/readyz`)).json()) as {
          status: string;
          sandbox: { tier: string; shell: string };
        };
        expect(ready).toMatchObject({ status: 'ready', sandbox: { tier: 'none', shell: 'refused' } });
        const wsToken = generatedToken(env);
        const { client, ack } = await helloClient(daemon.wsUrl, {}, wsToken);
        client.close();
        expect(ack.sandbox).toMatchObject({ tier: 'none', shell: 'refused' });
      } finally {
        daemon.kill();
        await daemon.exited;
        await env.close();
      }
    });
  },
);

describe.skipIf(!hasBwrap)('a command cannot fill the disk', () => {
  it('/tmp is a bounded tmpfs and every file is bounded by max_file_size_mib', async () => {
    const a = await attack(
      [
        sh(
          'for i in 1 2 3; do dd if=/dev/zero of=/tmp/fill$i bs=1M count=3 2>&1; done | grep -o "No space left on device" | head -n 1',
        ),
        sh('dd if=/dev/zero of=huge.bin bs=1M count=8 2>&1 | tail -n 1; echo END'),
      ],
      { extraToml: `\n[tools.sandbox]\ntmp_size_mib = 4\nmax_file_size_mib = 3\n${AUTO}` },
    );
    expect(shellOutput(a)).toMatch(/No space left on device/);
    expect(shellOutput(a, 1)).toContain('END');
    // The file stopped at the limit on the host's disk.
    expect(statSync(join(a.env.workspace, 'huge.bin')).size).toBeLessThanOrEqual(3 * 1024 * 1024);
  });
});
