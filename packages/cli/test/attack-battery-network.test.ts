/**
 * The attack battery's network rows (see attack-battery.test.ts for the battery as a whole): a
 * model's web_fetch and a command's connections to loopback, private and metadata addresses, and
 * network = "allowlist" through the egress proxy. Victim servers must record zero hits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRefused,
  hasBwrap,
  plantOutside,
  sandboxToml,
  sh,
  shellOutput,
  tool,
  useBattery,
} from './attack-battery-common.js';
import { type AttackResult, attack, closeAttack, startVictim, type Victim } from './attack-helpers.js';
import { auditEntries } from './helpers.js';

useBattery();

describe('network', () => {
  let victim: Victim;
  beforeAll(async () => {
    victim = await startVictim('127.0.0.1');
  });
  afterAll(async () => {
    await victim.close();
  });

  async function fetchAttack(url: string, extraToml = ''): Promise<AttackResult> {
    const hitsBefore = victim.hits;
    const a = await attack([tool('web_fetch', { url })], { extraToml });
    const content = expectRefused(a);
    expect(content).not.toContain('victim secret page');
    expect(a.requests).not.toContain('victim secret page');
    expect(victim.hits - hitsBefore).toBe(0);
    return a;
  }

  it('web_fetch of http://127.0.0.1:<port> is refused', async () => {
    await fetchAttack(`http://127.0.0.1:${victim.port}/admin`);
  });

  it('web_fetch of http://[::1]:<port> is refused', async () => {
    let v6: Victim | undefined;
    try {
      v6 = await startVictim('::1');
    } catch {
      v6 = undefined; // no IPv6 loopback here: the refusal is still asserted
    }
    const port = v6?.port ?? victim.port;
    const a = await attack([tool('web_fetch', { url: `http://[::1]:${port}/admin` })]);
    expectRefused(a);
    expect(a.requests).not.toContain('victim secret page');
    expect(v6?.hits ?? 0).toBe(0);
    await v6?.close();
  });

  it('web_fetch of the cloud metadata address 169.254.169.254 is refused', async () => {
    const a = await fetchAttack('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    expect(a.ends[0]!.content).toMatch(/link-local|refused/i);
  });

  it('web_fetch of http://localhost:<port> (a name resolving to loopback) is refused', async () => {
    await fetchAttack(`http://localhost:${victim.port}/admin`);
  });

  it('web_fetch of loopback in other spellings (127.1, decimal, IPv4-mapped IPv6) is refused', async () => {
    for (const url of [
      `http://127.1:${victim.port}/`,
      `http://2130706433:${victim.port}/`,
      `http://[::ffff:127.0.0.1]:${victim.port}/`,
    ]) {
      await fetchAttack(url);
      await closeAttack();
    }
  });

  it('web_fetch of a file:// URL is refused', async () => {
    const { path, secret } = plantOutside('fileurl');
    const a = await attack([tool('web_fetch', { url: `file://${path}` })]);
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  it('web_fetch redirected to loopback: the allowlisted first hop is followed, the redirect hop refused', async () => {
    const redirector = await startVictim('127.0.0.1', (response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${victim.port}/admin` });
      response.end();
    });
    try {
      const hitsBefore = victim.hits;
      const a = await attack([tool('web_fetch', { url: `http://127.0.0.1:${redirector.port}/go` })], {
        extraToml: `\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${redirector.port}"]\n`,
      });
      expectRefused(a);
      expect(redirector.hits).toBe(1); // the first hop really went through
      expect(victim.hits - hitsBefore).toBe(0);
      expect(a.requests).not.toContain('victim secret page');
    } finally {
      await redirector.close();
    }
  });

  describe.skipIf(!hasBwrap)('from shell_exec (no network in the sandbox)', () => {
    async function shellNet(command: string): Promise<string> {
      const hitsBefore = victim.hits;
      const a = await attack([sh(command.replaceAll('PORT', String(victim.port)))], {
        extraToml: sandboxToml(),
      });
      const out = shellOutput(a);
      expect(victim.hits - hitsBefore).toBe(0);
      expect(a.requests).not.toContain('victim secret page');
      return out;
    }

    it('curl to the victim fails', async () => {
      expect(await shellNet('curl -sS -m 3 http://127.0.0.1:PORT/admin; echo "rc=$?"')).toMatch(/rc=[1-9]/);
    });

    it('wget to the victim fails', async () => {
      expect(await shellNet('wget -q -T 3 -O - http://127.0.0.1:PORT/admin; echo "rc=$?"')).toMatch(
        /rc=[1-9]/,
      );
    });

    it('nc and bash /dev/tcp to the victim fail', async () => {
      const out = await shellNet(
        'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 127.0.0.1 PORT; echo "nc_rc=$?"; bash -c "exec 3<>/dev/tcp/127.0.0.1/PORT && echo OPENED"; echo "tcp_rc=$?"',
      );
      expect(out).toMatch(/nc_rc=[1-9]/);
      expect(out).toMatch(/tcp_rc=[1-9]/);
      expect(out).not.toContain('OPENED');
    });

    it('node fetch to the victim fails', async () => {
      const out = await shellNet(
        `node -e "fetch('http://127.0.0.1:PORT/admin').then(r=>r.text()).then(t=>console.log('GOT',t),e=>{console.log('FETCH_FAILED');process.exit(3)})"; echo "rc=$?"`,
      );
      expect(out).toMatch(/rc=[1-9]/);
      expect(out).not.toContain('GOT');
    });
  });
});

describe.skipIf(!hasBwrap)('network = "allowlist" (the egress proxy)', () => {
  let victim: Victim;
  beforeAll(async () => {
    victim = await startVictim('127.0.0.1');
  });
  afterAll(async () => {
    await victim.close();
  });

  /** Only "localhost" is allowed: the same victim by its IP literal is another host. */
  async function allowlisted(command: string): Promise<{ a: AttackResult; out: string; hits: number }> {
    const hitsBefore = victim.hits;
    const a = await attack([sh(command.replaceAll('PORT', String(victim.port)))], {
      extraToml: sandboxToml('network = "allowlist"\nallow_hosts = ["localhost"]'),
    });
    return { a, out: shellOutput(a), hits: victim.hits - hitsBefore };
  }

  function auditedEgress(a: AttackResult): Record<string, unknown>[] {
    return auditEntries(a.env.workspace, 'egress').map((entry) => entry.data);
  }

  it('curl through the proxy to a host not on allow_hosts gets 403', async () => {
    const { a, out, hits } = await allowlisted(
      `curl -sS -m 5 --noproxy '' -o /dev/null -w "status=%{http_code}" http://127.0.0.1:PORT/admin; echo; curl -sS -m 5 -p --noproxy '' http://127.0.0.1:PORT/admin; echo "tunnel_rc=$?"`,
    );
    expect(out).toContain('status=403');
    expect(out).toMatch(/tunnel_rc=[1-9]/);
    expect(hits).toBe(0);
    expect(a.requests).not.toContain('victim secret page');
    expect(auditedEgress(a)).toEqual([
      expect.objectContaining({ host: '127.0.0.1', allowed: false }),
      expect.objectContaining({ host: '127.0.0.1', allowed: false }),
    ]);
  });

  it('connections that bypass the proxy (curl --noproxy, bash /dev/tcp, node fetch) fail', async () => {
    const { out, hits } = await allowlisted(
      `curl -sS -m 3 --noproxy '*' http://localhost:PORT/admin; echo "curl_rc=$?"; bash -c "exec 3<>/dev/tcp/127.0.0.1/PORT && echo OPENED"; echo "tcp_rc=$?"; node -e "fetch('http://localhost:PORT/admin').then(()=>console.log('GOT'),()=>process.exit(3))"; echo "node_rc=$?"`,
    );
    expect(out).toMatch(/curl_rc=[1-9]/);
    expect(out).toMatch(/tcp_rc=[1-9]/);
    expect(out).toMatch(/node_rc=[1-9]/);
    expect(out).not.toMatch(/OPENED|GOT/);
    expect(hits).toBe(0);
  });

  it('the allowed host is reached only through the proxy, and the audit log records it', async () => {
    // The control: without it, the refusals above could be a proxy that lets nothing through.
    const { a, out, hits } = await allowlisted(
      `curl -sS -m 5 --noproxy '' http://localhost:PORT/ok; echo "rc=$?"`,
    );
    expect(out).toContain('rc=0');
    expect(hits).toBe(1);
    expect(auditedEgress(a)).toEqual([expect.objectContaining({ host: 'localhost', allowed: true })]);
  });
});
