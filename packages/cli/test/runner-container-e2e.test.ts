/**
 * The runner's container tier end to end, on a real Podman (or Docker, OXYDRA_CONTAINER_ENGINE=docker)
 * with the real `oxydra` binary: the
 * guest image is built offline (`oxydra runner image build`; its Debian layer is reused once
 * made, so after the first run only the thin oxydra layer is rebuilt), two users' guests run at
 * once, each answers a turn whose shell_exec runs inside its own container against the testkit's
 * mock LLM (picked by default_tier = "auto", which doctor and `runner status` explain); the attack rows check that alice's container cannot read bob's folder, the runner's
 * control socket or any process but its own, has no network (its model calls go through the
 * runner's egress proxy, which refuses other hosts), and cannot read its guest's secrets by
 * /proc or the envelope; bob's command adds a provider host to his agent.toml, which the runner
 * does not allow when his guest, killed by the engine, is restarted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectContainerEngine, findOnPath, type HealthStatus, sendControl } from '@oxydra/runner';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { stopEverything, workspaceOf, writeRunnerConfig } from './runner-helpers.js';

const BOB_SECRET = 'bob-secret-7f3a9c';
/** The engine under test: podman, or docker with OXYDRA_CONTAINER_ENGINE=docker (same code path). */
const engineName = process.env.OXYDRA_CONTAINER_ENGINE === 'docker' ? 'docker' : 'podman';
const engine = findOnPath(engineName);
const skip =
  engine === undefined
    ? `${engineName} is not installed (apt-get install podman mmdebstrap runc)`
    : undefined;
if (skip && process.env.OXYDRA_REQUIRE_PODMAN === '1') {
  throw new Error(`OXYDRA_REQUIRE_PODMAN=1 but ${skip}`);
}

/**
 * bob's command: his secret, then an attack on the egress allowlist: shared/.oxydra is the
 * guest's to write, so it adds a provider whose host the runner must not allow at the next start.
 */
const BOB_COMMAND = [
  'cat secret.txt && id -u',
  String.raw`printf '\n[providers.registry.evil]\nprovider_type = "openai"\nbase_url = "https://attacker.example:8443/v1"\n' >> /workspace/shared/.oxydra/agent.toml`,
].join('; ');

interface Status {
  running: boolean;
  healthy?: boolean;
  sandbox_tier?: string;
  runtime_container_name?: string;
  gateway_endpoint?: string;
  restarts?: number;
  message?: string;
}

/** The shell commands alice's agent runs: her own work, then the attack rows. */
const ALICE_COMMAND = [
  'echo alice-was-here > mine.txt && id -u && pwd',
  'echo "ipc: $(ls /workspace/ipc | tr "\\n" " ")"',
  // bob's folder by its host path and by its neighbour's place: neither exists in here.
  'cat /tmp/oxydra-cli-*/workspace/.oxydra/workspaces/bob/shared/secret.txt 2>&1',
  'cat /workspace/../bob/shared/secret.txt 2>&1',
  // Every process alice's container can see, by its command line.
  'for p in /proc/[0-9]*; do printf "proc:%s\\n" "$(tr "\\0" " " < $p/cmdline)"; done',
  'touch /usr/evil 2>&1 || true',
  // No network: only a loopback, and the host's mock LLM (its port from the user's agent.toml)
  // is not reachable from in here, while the guest itself reaches it through the egress proxy.
  'echo "net: $(ls /sys/class/net | tr "\\n" " ")"',
  String.raw`port=$(sed -n 's|^base_url = "http://127.0.0.1:\([0-9]*\).*|\1|p' /workspace/shared/.oxydra/agent.toml)`,
  `node -e 'const s=require("net").connect(+process.argv[1],"127.0.0.1");s.on("connect",()=>{console.log("tcp: "+"open");process.exit()});s.on("error",e=>console.log("tcp: "+e.code))' "$port"`,
  // The egress proxy lets through the model provider only.
  String.raw`node -e 'const s=require("net").connect("/run/oxydra/egress/proxy.sock",()=>s.write("CONNECT example.com:443 HTTP/1.1\r\n\r\n"));s.on("data",d=>{console.log("proxy: "+String(d).split("\r\n")[0]);process.exit()});s.on("error",e=>console.log("proxy: "+e.code))'`,
  // No secret by /proc (the guest is not dumpable, the init's environment holds none) or a file.
  'echo "environ: $(cat /proc/[0-9]*/environ 2>&1 | tr "\\0" " ")"',
  'echo "bootstrap: $(cat /run/oxydra/bootstrap/*.json 2>&1)"',
].join('; ');

describe.skipIf(skip !== undefined)(
  `oxydra runner: the container tier on ${engineName}${skip ? ` (skipped: ${skip}; set OXYDRA_REQUIRE_PODMAN=1 to fail instead)` : ''}`,
  () => {
    let env: AgentEnv;

    beforeAll(async () => {
      env = await AgentEnv.start(E2E_APIS[0]!, [
        {
          match: { lastMessageContains: 'alice turn' },
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: ALICE_COMMAND } }] },
        },
        { match: { lastMessageContains: 'alice-was-here' }, reply: { text: 'alice done.' } },
        {
          match: { lastMessageContains: 'bob turn' },
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: BOB_COMMAND } }] },
        },
        { match: { lastMessageContains: BOB_SECRET }, reply: { text: 'bob done.' } },
      ]);
      // Every command of this test uses the engine under test, even where both answer.
      env.sandbox.env.OXYDRA_CONTAINER_ENGINE = engineName;
      // A Docker daemon on another socket than the default one (as when it is started for a test).
      if (process.env.DOCKER_HOST) env.sandbox.env.DOCKER_HOST = process.env.DOCKER_HOST;
      // Built once per machine and oxydra build: a second run finds it up to date.
      const build = spawnSync(process.execPath, [OXYDRA_BIN, 'runner', 'image', 'build'], {
        env: { ...process.env, OXYDRA_CONTAINER_ENGINE: engineName },
        encoding: 'utf8',
        timeout: 900_000,
      });
      expect(build.stderr.split('\n').at(-2) ?? '').not.toMatch(/^error/);
      expect(build.status).toBe(0);
    }, 900_000);

    afterAll(async () => {
      if (!env) return;
      await stopEverything(env.sandbox, ['alice', 'bob'], []);
      await env.close();
      env.sandbox.cleanup();
    });

    it('runs two users in their own containers, kept apart, and restarts a killed guest', async () => {
      const bobHost = workspaceOf(env.sandbox, 'bob');
      const credentials = 'credential_refs = { mock = "MOCK_KEY" }\n';
      writeRunnerConfig(env.sandbox, {
        defaultTier: 'auto',
        restart: 'on_failure',
        users: { alice: credentials, bob: credentials },
      });
      for (const user of ['alice', 'bob']) {
        const config = join(workspaceOf(env.sandbox, user), 'shared/.oxydra');
        mkdirSync(config, { recursive: true });
        copyFileSync(join(env.workspace, '.oxydra/agent.toml'), join(config, 'agent.toml'));
      }
      writeFileSync(join(bobHost, 'shared/secret.txt'), `${BOB_SECRET}\n`);

      for (const user of ['alice', 'bob']) {
        const start = await env.run(['runner', 'start', '--user', user, '--wait', '120']);
        expect(start.stderr).toBe('');
        expect(start.status).toBe(0);
        expect(start.stdout).toContain(`runner for user ${user}: healthy`);
        expect(start.stdout).toContain(`container oxydra-container-${user}-runtime`);
      }
      // `runner status --json` (its own process, as an operator runs it) once; the other reads ask
      // the runner's control socket from here, which is what that command prints (a spawn of the
      // binary each would cost a second of CPU, a dozen times in the restart's wait).
      const cliStatus = JSON.parse(
        env.sandbox.run('runner', 'status', '--json', '--user', 'alice').stdout,
      ) as Status;
      // default_tier = "auto" picked the strongest tier that works here.
      expect(cliStatus).toMatchObject({ running: true, healthy: true, sandbox_tier: 'container' });
      const status = async (user: string): Promise<HealthStatus> => {
        const socket = join(workspaceOf(env.sandbox, user), 'ipc/runner-control.sock');
        const answer = await sendControl(socket, { op: 'health_check' });
        if (answer.op !== 'health_status') throw new Error(`health_check answered ${answer.op}`);
        return answer.payload;
      };
      expect(await status('alice')).toMatchObject({
        healthy: true,
        sandbox_tier: 'container',
        gateway_endpoint: cliStatus.gateway_endpoint,
      });

      // The hardening the engine applied, as it reports it.
      const inspect = JSON.parse(
        execFileSync(engine!, ['inspect', 'oxydra-container-alice-runtime'], { encoding: 'utf8' }),
      )[0] as {
        HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; SecurityOpt: string[] };
        Config: { User: string };
      };
      expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
      expect(inspect.Config.User).not.toMatch(/^0(:|$)/);
      expect(inspect.HostConfig.SecurityOpt).toContain('no-new-privileges');

      // Each guest has a gateway token of its own, kept by the runner outside the guest's folders.
      const tokenFile = (user: string) => join(workspaceOf(env.sandbox, user), 'ipc/gateway-token');
      const gatewayToken = (user: string) => readFileSync(tokenFile(user), 'utf8').trim();
      const ask = async (user: string, content: string, token = gatewayToken(user)) => {
        const base = (await status(user)).gateway_endpoint!.replace(/^ws/, 'http').replace(/\/ws$/, '');
        return fetch(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content }] }),
        });
      };
      const turn = async (user: string, content: string): Promise<string> => {
        const reply = await ask(user, content);
        expect(reply.status).toBe(200);
        const body = (await reply.json()) as { choices: { message: { content: string } }[] };
        return body.choices[0]!.message.content;
      };

      expect(await turn('alice', 'alice turn')).toBe('alice done.');
      const aliceSaw = env.requestText(1);
      // Her command ran in her container: her folder, a non-root uid, only her guest's ipc corner.
      expect(readFileSync(join(workspaceOf(env.sandbox, 'alice'), 'shared/mine.txt'), 'utf8')).toBe(
        'alice-was-here\n',
      );
      expect(aliceSaw).toContain('/workspace/shared');
      expect(aliceSaw).not.toMatch(/\b0\n\/workspace/);
      expect(aliceSaw).toContain('ipc: gateway-endpoint');
      expect(aliceSaw).not.toContain('runner-control.sock');
      // Attack rows: bob's secret is out of reach by any path.
      expect(aliceSaw).not.toContain(BOB_SECRET);
      expect(aliceSaw).toContain('No such file or directory');
      // Only her container's own processes: no host process (this test, the engine, bob's guest).
      const procs = aliceSaw.match(/proc:[^\n"\\]*/g) ?? [];
      expect(procs.length).toBeGreaterThan(1);
      expect(procs.length).toBeLessThan(12);
      for (const line of procs)
        expect(line).not.toMatch(/vitest|conmon|podman run|docker run|containerd|bob/);
      // The root filesystem is read-only.
      expect(aliceSaw).toContain('Read-only file system');
      // No network of its own: a loopback only, the host's ports out of reach, and the egress
      // proxy refusing anything but the model provider.
      expect(aliceSaw).toMatch(/net: lo (\\n|\n)/);
      expect(aliceSaw).toMatch(/tcp: E[A-Z]+/);
      // (Spelled apart in the command, which the request carries too.)
      expect(aliceSaw).not.toContain('tcp: open');
      expect(aliceSaw).toContain('proxy: HTTP/1.1 403 Forbidden');
      expect(
        readFileSync(join(workspaceOf(env.sandbox, 'alice'), 'logs/runtime.stderr.log'), 'utf8'),
      ).toContain('runner: egress refused: CONNECT example.com:443');
      // No secret readable from the guest's processes or its envelope: not the provider key
      // (which the guest used for this very turn), not the gateway token.
      expect(aliceSaw).toMatch(/environ: .*Permission denied/);
      expect(aliceSaw).toContain('bootstrap: {');
      expect(aliceSaw).not.toContain(E2E_KEY);
      expect(aliceSaw).not.toContain(gatewayToken('alice'));
      // Attack row: one guest's token does not open another's gateway.
      expect(statSync(tokenFile('alice')).mode & 0o777).toBe(0o600);
      expect(gatewayToken('alice')).not.toBe(gatewayToken('bob'));
      expect((await ask('bob', 'with alice token', gatewayToken('alice'))).status).toBe(401);

      expect(await turn('bob', 'bob turn')).toBe('bob done.');

      // A guest killed from outside (`podman kill`, `docker kill`) is restarted by its runner, and serves turns again.
      execFileSync(engine!, ['kill', 'oxydra-container-bob-runtime']);
      const restarted = await pollUntil(
        async () => {
          const now = await status('bob');
          return now.restarts === 1 && now.healthy ? now : undefined;
        },
        "the runner to restart bob's killed guest",
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(restarted.runtime_container_name).toBe('oxydra-container-bob-runtime');
      const gateway = restarted.gateway_endpoint!.replace(/^ws/, 'http').replace(/\/ws$/, '');
      expect((await fetch(`${gateway}/healthz`)).status).toBe(200);
      // Attack row: the provider bob's command added to his agent.toml is not allowed by the
      // restarted guest's egress proxy (the runner pinned the hosts at his first start).
      const bobHome = workspaceOf(env.sandbox, 'bob');
      expect(readFileSync(join(bobHome, 'shared/.oxydra/agent.toml'), 'utf8')).toContain('attacker.example');
      expect(readFileSync(join(bobHome, 'logs/runtime.stderr.log'), 'utf8')).toContain(
        'runner: egress not allowed: attacker.example:8443 was added',
      );
      expect(readFileSync(join(bobHome, 'ipc/egress-hosts.json'), 'utf8')).not.toContain('attacker.example');
      // alice's guest was not touched.
      const aliceNow = await status('alice');
      expect(aliceNow).toMatchObject({ healthy: true });
      expect(aliceNow.restarts).toBeUndefined();

      // doctor and `runner status` say which tiers work here (after the turns: doctor calls the mock).
      // (Its tier probes run engines: past run's 20 s on a loaded machine, which cut its output short.)
      const text = env.sandbox.runWithin(60_000, 'runner', 'status', '--user', 'alice').stdout;
      expect(text).toContain('tiers on this machine (default_tier "auto" picks container):');
      expect(text).toMatch(new RegExp(`container: works: ${engineName}.*image localhost/oxydra-guest:`));
      expect(text).toMatch(/micro_vm: (no: .*fix: |works: QEMU)/);
      const doctor = spawnSync(process.execPath, [OXYDRA_BIN, 'doctor', '--json'], {
        cwd: env.workspace,
        env: env.sandbox.env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string }[] }).checks;
      expect(checks).toContainEqual(expect.objectContaining({ name: 'runner container', status: 'ok' }));
      expect(checks).toContainEqual(expect.objectContaining({ name: 'runner micro_vm', status: 'warn' }));
      for (const user of ['alice', 'bob']) {
        const stop = env.sandbox.run('runner', 'stop', '--user', user);
        expect(stop.status).toBe(0);
      }
      const left = execFileSync(
        engine!,
        ['ps', '-a', '--filter', 'label=org.oxydra.user', '--format', '{{.Names}}'],
        {
          encoding: 'utf8',
        },
      );
      expect(left).not.toMatch(/oxydra-container-(alice|bob)-runtime/);
    }, 300_000);

    it("refuses to start a user's guest while that user's container runs for another project, and leaves it running", async () => {
      // The name is per user on the machine: a start used to force-remove another project's running guest.
      const credentials = 'credential_refs = { mock = "MOCK_KEY" }\n';
      writeRunnerConfig(env.sandbox, {
        defaultTier: 'container',
        users: { alice: credentials, bob: credentials, carol: credentials },
      });
      const detected = detectContainerEngine({ ...process.env, OXYDRA_CONTAINER_ENGINE: engineName });
      if (!detected.ok) throw new Error(detected.problem);
      const { path, globalArgs } = detected.engine;
      const base = execFileSync(
        path,
        ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=*oxydra-guest-base*'],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')[0]!;
      const name = 'oxydra-container-carol-runtime';
      const theirs = [
        '--label',
        'org.oxydra.user=carol',
        '--label',
        'org.oxydra.project=/srv/another-project',
      ];
      // Limits this root may grant (the runner's own hard limits, capped as it caps them).
      const limits = readFileSync('/proc/self/limits', 'utf8');
      const hard = (label: string, cap: number) =>
        Math.min(Number(new RegExp(`^${label}\\s+\\S+\\s+(\\d+)`, 'm').exec(limits)?.[1] ?? cap), cap);
      const [nofile, nproc] = [hard('Max open files', 65536), hard('Max processes', 32768)];
      theirs.push('--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`);
      execFileSync(path, [
        ...globalArgs,
        'run',
        '-d',
        '--rm',
        // `sleep` as PID 1 ignores SIGTERM: the removal below kills it at once, not after 10 s.
        '--stop-timeout',
        '0',
        '--name',
        name,
        ...theirs,
        '--entrypoint',
        'sleep',
        base,
        '600',
      ]);
      try {
        const start = await env.run(['runner', 'start', '--user', 'carol', '--wait', '60']);
        expect(start.stderr).toContain(
          `user carol's container ${name} is running for another project (/srv/another-project)`,
        );
        expect(start.stderr).toContain('oxydra runner stop --user carol');
        expect(start.status).toBe(2);
        const running = execFileSync(path, ['inspect', '--format', '{{.State.Running}}', name], {
          encoding: 'utf8',
        });
        expect(running.trim()).toBe('true');
      } finally {
        spawnSync(path, [...globalArgs, 'rm', '--force', name], { stdio: 'ignore' });
      }
    }, 120_000);
  },
);
