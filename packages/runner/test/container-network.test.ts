/**
 * The container guest's network pieces, on real sockets: the egress proxy lets the provider's
 * host:port through and refuses every other, the guest's fetch goes through it, the gateway
 * forward reaches the guest's socket only once the folder is taken back, and stays on that very
 * socket when a guest of the runner's uid swaps it for a link afterwards (a symbolic link in
 * its place is refused), the secrets frame round-trips and never echoes its payload, and the
 * allowed hosts are the providers' base URLs.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { chmod, rename } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  type ContainerNetwork,
  type ContainerNetworkDirs,
  containerNetworkDirs,
  encodeGuestSecrets,
  readGuestSecrets,
  registryHosts,
  startContainerNetwork,
} from '@oxydra/runner';
import { tunnel } from '@oxydra/sandbox';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let scratch: TempWorkspace;
let dir: string;
let network: ContainerNetwork | undefined;
let servers: Server[] = [];
const me = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };

function listen(server: Server, where: string | number): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => {
    const done = () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    };
    if (typeof where === 'string') server.listen(where, done);
    else server.listen(where, '127.0.0.1', done);
  });
}

const hello = () => createServer((req, res) => res.end(`hello ${req.url}`));

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-cnet-' });
  dir = scratch.dir;
});
afterEach(async () => {
  await network?.close();
  network = undefined;
  for (const server of servers) server.close();
  servers = [];
  scratch.cleanup();
});

describe('the egress proxy of a container guest', () => {
  it("lets the provider's host:port through and refuses any other", async () => {
    const port = await listen(hello(), 0);
    const dirs = containerNetworkDirs(dir);
    network = await startContainerNetwork({ dirs, guest: me, allowHosts: [`127.0.0.1:${port}`] });
    const socket = join(dirs.egress, 'proxy.sock');
    expect(lstatSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const open = await tunnel(socket, '127.0.0.1', port);
    open.destroy();
    await expect(tunnel(socket, '127.0.0.1', port + 1)).rejects.toThrow(/not allowed/);
    await expect(tunnel(socket, 'example.com', 443)).rejects.toThrow(
      /example\.com:443 is not allowed; a container-tier guest reaches only its model providers/,
    );
  });

  it("closes connections past its cap, so a guest cannot exhaust the runner's descriptors", async () => {
    const port = await listen(hello(), 0);
    const dirs = containerNetworkDirs(dir);
    const allowHosts = [`127.0.0.1:${port}`];
    network = await startContainerNetwork({ dirs, guest: me, allowHosts, maxEgressConnections: 4 });
    const socket = join(dirs.egress, 'proxy.sock');
    const held = await Promise.all(Array.from({ length: 4 }, () => tunnel(socket, '127.0.0.1', port)));
    await expect(tunnel(socket, '127.0.0.1', port)).rejects.toThrow();
    for (const one of held) one.destroy();
  });

  it("sends a guest's every fetch through it (a real Node process)", async () => {
    const port = await listen(hello(), 0);
    const dirs = containerNetworkDirs(dir);
    network = await startContainerNetwork({ dirs, guest: me, allowHosts: [`127.0.0.1:${port}`] });
    const script = `
      import { routeFetchThroughProxy } from '@oxydra/sandbox';
      const [socket, port] = process.argv.slice(1);
      if (!(await routeFetchThroughProxy(socket))) throw new Error('not routed');
      console.log(await (await fetch('http://127.0.0.1:' + port + '/v1/models')).text());
      await fetch('http://127.0.0.1:' + (Number(port) + 1) + '/').catch((e) => console.log('refused:', e.cause?.message));
    `;
    // Not spawnSync: the proxy and the server answer from this very process.
    const child = await run(
      process.execPath,
      ['--input-type=module', '-e', script, join(dirs.egress, 'proxy.sock'), String(port)],
      { cwd: import.meta.dirname, encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('hello /v1/models');
    expect(child.stdout).toMatch(/refused: .*is not allowed/);
  });
});

describe('the gateway forward of a container guest', () => {
  /** A guest that listens on its gateway socket and says so; the forward once it is set up. */
  async function forwardedGateway(): Promise<{ dirs: ContainerNetworkDirs; endpoint: string }> {
    const dirs = containerNetworkDirs(dir);
    network = await startContainerNetwork({ dirs, guest: me, allowHosts: [] });
    const guestSays = join(dir, 'guest-endpoint');
    const endpoint = join(dir, 'gateway-endpoint');
    const forwarding = network.forwardGateway(guestSays, endpoint, () => true);
    await listen(hello(), join(dirs.gateway, 'gateway.sock'));
    writeFileSync(guestSays, 'ws://127.0.0.1:1234/ws\n');
    await forwarding;
    return { dirs, endpoint };
  }

  it("forwards a host port to the guest's socket once the guest says it listens", async () => {
    const { dirs, endpoint } = await forwardedGateway();
    // The folder is the runner's again: the guest can no longer swap the socket.
    expect(statSync(dirs.gateway).mode & 0o777).toBe(0o755);
    if (me.uid === 0) expect(statSync(dirs.gateway).uid).toBe(0);
    const url = readFileSync(endpoint, 'utf8').trim();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const answer = await fetch(`${url.replace(/^ws/, 'http').replace(/\/ws$/, '')}/healthz`);
    expect(await answer.text()).toBe('hello /healthz');
  });

  it('keeps forwarding to the socket it checked when a guest of the same uid swaps it for a link', async () => {
    const { dirs, endpoint } = await forwardedGateway();
    const gatewaySocket = join(dirs.gateway, 'gateway.sock');
    // What a guest running as the runner's own uid can do: it owns the folder, so it takes it
    // back and puts a link to another of the host's sockets in the socket's place.
    const hostSocket = join(dir, 'host.sock');
    await listen(
      createServer((_, res) => res.end('HOST SOCKET')),
      hostSocket,
    );
    await chmod(dirs.gateway, 0o700);
    await rename(gatewaySocket, join(dirs.gateway, 'moved.sock'));
    symlinkSync(hostSocket, gatewaySocket);
    const base = readFileSync(endpoint, 'utf8').trim().replace(/^ws/, 'http').replace(/\/ws$/, '');
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('hello /healthz');
  });

  it("keeps waiting past a FIFO the guest put in its endpoint file's place, never stuck in it", async () => {
    const dirs = containerNetworkDirs(dir);
    network = await startContainerNetwork({ dirs, guest: me, allowHosts: [] });
    const guestSays = join(dir, 'guest-endpoint');
    await run('mkfifo', [guestSays]);
    let looks = 0;
    const forwarding = network.forwardGateway(guestSays, join(dir, 'gateway-endpoint'), () => {
      looks += 1;
      return true;
    });
    // A read that opened the FIFO would wait for a writer for good: the loop would stop here.
    await pollUntil(() => looks >= 3, 'the forward to look at the file again');
    await listen(hello(), join(dirs.gateway, 'gateway.sock'));
    rmSync(guestSays);
    writeFileSync(guestSays, 'ws://127.0.0.1:1234/ws\n');
    await forwarding;
    expect(readFileSync(join(dir, 'gateway-endpoint'), 'utf8')).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\n$/);
  });

  it('refuses a symbolic link where the socket should be (it could name any host socket)', async () => {
    const dirs = containerNetworkDirs(dir);
    network = await startContainerNetwork({ dirs, guest: me, allowHosts: [] });
    const hostSocket = join(dir, 'host.sock');
    await listen(hello(), hostSocket);
    symlinkSync(hostSocket, join(dirs.gateway, 'gateway.sock'));
    const guestSays = join(dir, 'guest-endpoint');
    writeFileSync(guestSays, 'ws://127.0.0.1:1234/ws\n');
    const endpoint = join(dir, 'gateway-endpoint');
    await expect(network.forwardGateway(guestSays, endpoint, () => true)).rejects.toThrow(/not a socket/);
    expect(() => statSync(endpoint)).toThrow();
  });
});

describe('the guest secrets frame', () => {
  it('carries the set variables only, and a bad frame never echoes its bytes', async () => {
    const frame = encodeGuestSecrets(['OPENAI_API_KEY', 'NOT_SET'], { OPENAI_API_KEY: 'sk-1' });
    expect(await readGuestSecrets(Readable.from([frame]))).toEqual({ OPENAI_API_KEY: 'sk-1' });
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from('sk-leaked')]);
    const error = await readGuestSecrets(Readable.from([bad])).catch((e: Error) => e);
    expect(String(error)).toContain('cannot read the guest secrets frame');
    expect(String(error)).not.toContain('sk-leaked');
  });
});

describe('registryHosts', () => {
  it("is every provider entry's host:port, defaults included", () => {
    expect(
      registryHosts({
        openai: { provider_type: 'openai' },
        mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:8080/v1' },
        again: { provider_type: 'openai', base_url: 'https://api.openai.com/v1' },
      }),
    ).toEqual(['127.0.0.1:8080', 'api.openai.com:443']);
  });
});
