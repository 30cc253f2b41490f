/**
 * The container guest's egress allowlist comes from the user's files as they were at the first
 * container start (a runner-owned pin), not as the guest may have rewritten them since: a host a
 * command adds to shared/.oxydra/agent.toml is held back, the operator's OXYDRA__* overrides are
 * not, and an unreadable pin trusts nothing from the files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedProviderHosts } from '@oxydra/runner';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let scratch: TempWorkspace;
let dir: string;
let shared: string;
let pin: string;

function agentToml(...entries: [name: string, url: string][]): void {
  const body = entries
    .map(([name, url]) => `[providers.registry.${name}]\nprovider_type = "openai"\nbase_url = "${url}"\n`)
    .join('\n');
  writeFileSync(join(shared, '.oxydra', 'agent.toml'), body);
}

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-pin-' });
  dir = scratch.dir;
  shared = join(dir, 'shared');
  mkdirSync(join(shared, '.oxydra'), { recursive: true });
  pin = join(dir, 'ipc', 'egress-hosts.json');
  mkdirSync(join(dir, 'ipc'));
});
afterEach(() => scratch.cleanup());

describe('pinnedProviderHosts', () => {
  it("pins the files' hosts at the first start and holds back a host added since", async () => {
    agentToml(['mock', 'http://127.0.0.1:8080/v1']);
    const first = await pinnedProviderHosts(shared, pin, {});
    expect(first.allow).toContain('127.0.0.1:8080');
    expect(first.heldBack).toEqual([]);
    expect(JSON.parse(readFileSync(pin, 'utf8'))).toContain('127.0.0.1:8080');
    expect(statSync(pin).mode & 0o777).toBe(0o600);

    // What a command in the container can do: rewrite agent.toml with its own host.
    agentToml(['mock', 'http://127.0.0.1:8080/v1'], ['evil', 'https://attacker.example:8443/v1']);
    const second = await pinnedProviderHosts(shared, pin, {});
    expect(second.allow).toContain('127.0.0.1:8080');
    expect(second.allow).not.toContain('attacker.example:8443');
    expect(second.heldBack).toEqual(['attacker.example:8443']);
    // The pin is not widened by that start.
    expect(JSON.parse(readFileSync(pin, 'utf8'))).not.toContain('attacker.example:8443');
  });

  it('drops a host removed from the files, and re-pins once the operator deletes the pin', async () => {
    agentToml(['mock', 'http://127.0.0.1:8080/v1']);
    await pinnedProviderHosts(shared, pin, {});
    agentToml(['other', 'http://127.0.0.1:9090/v1']);
    const changed = await pinnedProviderHosts(shared, pin, {});
    expect(changed.allow).not.toContain('127.0.0.1:8080');
    expect(changed.allow).not.toContain('127.0.0.1:9090');
    rmSync(pin);
    const repinned = await pinnedProviderHosts(shared, pin, {});
    expect(repinned.allow).toContain('127.0.0.1:9090');
    expect(repinned.heldBack).toEqual([]);
  });

  it("allows a host the operator's OXYDRA__* override adds", async () => {
    agentToml(['mock', 'http://127.0.0.1:8080/v1']);
    await pinnedProviderHosts(shared, pin, {});
    const env = { OXYDRA__PROVIDERS__REGISTRY__MOCK__BASE_URL: 'http://127.0.0.1:7070/v1' };
    const overridden = await pinnedProviderHosts(shared, pin, env);
    expect(overridden.allow).toContain('127.0.0.1:7070');
    expect(overridden.allow).not.toContain('127.0.0.1:8080');
  });

  it('trusts nothing from the files when the pin is malformed (fail closed)', async () => {
    agentToml(['mock', 'http://127.0.0.1:8080/v1']);
    writeFileSync(pin, '{"not": "a list"}');
    const result = await pinnedProviderHosts(shared, pin, {});
    expect(result.allow).not.toContain('127.0.0.1:8080');
    expect(result.heldBack).toEqual(['127.0.0.1:8080']);
    expect(result.allow).toContain('api.openai.com:443');
  });

  // shared/.oxydra is the guest's to write; the runner reads it before each container start.
  it('reads no link the guest planted at agent.toml (it could name a file of the host)', async () => {
    writeFileSync(
      join(dir, 'host-only.toml'),
      '[providers.registry.x]\nprovider_type = "openai"\nbase_url = "http://10.9.9.9:81/v1"\n',
    );
    symlinkSync(join(dir, 'host-only.toml'), join(shared, '.oxydra', 'agent.toml'));
    const result = await pinnedProviderHosts(shared, pin, {});
    expect(result.allow).not.toContain('10.9.9.9:81');
    expect(result.allow).toContain('api.openai.com:443');
    expect(result.unreadable).toMatch(/a link, a FIFO or a file over 1 MiB/);
  });

  it.each([
    ['agent.toml', ['agent.toml']],
    ['a home layer the guest made under shared/.oxydra', ['no-home', '.config', 'oxydra', 'agent.toml']],
  ])('is not held up by a FIFO at %s', { timeout: 10_000 }, async (_what, parts) => {
    const fifo = join(shared, '.oxydra', ...parts);
    mkdirSync(join(fifo, '..'), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    const result = await pinnedProviderHosts(shared, pin, {});
    expect(result.allow).toContain('api.openai.com:443');
  });
});
