/**
 * The attack battery, browser rows: hostile pages against the browser tools, each through the
 * real `oxydra run --json` with a scripted model and the system's Chromium. The test site is
 * allowlisted (it is on loopback); everything it reaches for is not. Every request a page makes
 * goes through Oxydra's egress proxy and web_fetch's address policy: the victims count 0 hits.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { downloadingPage, startTestSite, type TestSite } from '@oxydra/tools/testing/browser-site';
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium } from '../../tools/src/browser/launch.js';
import { type AttackOptions, type AttackResult, attack, closeAttack, marker } from './attack-helpers.js';

const chromium = findChromium();
const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

let site: TestSite | undefined;
let victim: TestSite | undefined;
afterEach(async () => {
  await closeAttack();
  await site?.close();
  await victim?.close();
  site = undefined;
  victim = undefined;
});

async function hostile(
  path: string,
  html: string,
  calls: ReturnType<typeof call>[],
  extraBrowserToml = 'action_timeout_secs = 8\n',
  prepare?: AttackOptions['prepare'],
): Promise<AttackResult> {
  site ??= await startTestSite();
  site.pages.set(path, html);
  return attack([call('browser_open', { url: `${site.origin}${path}` }), ...calls], {
    extraToml: `\n[tools.browser]\nenabled = true\n${extraBrowserToml}\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${site.port}"]\n`,
    ...(prepare ? { prepare } : {}),
  });
}

const output = (a: AttackResult): string => a.ends.map((end) => end.content).join('\n');

/** This machine's own non-loopback address (a LAN one: private), if it has one. */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const info of list ?? []) if (!info.internal && info.family === 'IPv4') return info.address;
  return undefined;
}

/** A page that reaches for `url` by every means a page has: fetch, an image, a frame, a redirect. */
const reaching = (url: string): string =>
  `<p>hello</p><img src="${url}img"><iframe src="${url}frame"></iframe>
   <script>fetch(${JSON.stringify(`${url}fetch`)}).catch(() => {});
     try { new WebSocket(${JSON.stringify(url.replace(/^http/, 'ws'))}); } catch {}
     setTimeout(() => { location.href = ${JSON.stringify(`${url}redirect`)}; }, 300);</script>`;

// Skipped only where no Chromium is installed: the tools then refuse, saying how to install it.
describe.skipIf(chromium === undefined || !existsSync(chromium))(
  'browser attack rows',
  { timeout: 120_000 },
  () => {
    it('a page that fetches and redirects to loopback (not allowlisted) is held', async () => {
      victim = await startTestSite('127.0.0.2');
      const a = await hostile('/loop', reaching(`${victim.origin}/`), [call('browser_read')]);
      expect(a.run.status, a.run.stderr).toBe(0);
      expect(victim.hits.size).toBe(0);
      expect(output(a)).toMatch(/refused to connect to a loopback address/);
    });

    const lan = lanAddress();
    it.skipIf(lan === undefined)(
      'a page that reaches a private (LAN) address of this machine is held',
      async () => {
        victim = await startTestSite(lan);
        const a = await hostile('/lan', reaching(`${victim.origin}/`), [call('browser_read')]);
        expect(a.run.status, a.run.stderr).toBe(0);
        expect(victim.hits.size).toBe(0);
        expect(output(a)).toContain(`refused to connect to a`);
        expect(output(a)).toContain(lan);
      },
    );

    it('a page that reaches the cloud metadata address is held', async () => {
      const a = await hostile('/meta', reaching('http://169.254.169.254/latest/meta-data/'), [
        call('browser_read'),
      ]);
      expect(a.run.status, a.run.stderr).toBe(0);
      expect(output(a)).toMatch(/169\.254\.169\.254[^\n]*link-local/);
      expect(a.requests).not.toMatch(/ami-id|instance-id/);
    });

    it('a page that downloads to a path outside the workspace saves only under downloads/', async () => {
      const outside = mkdtempSync('/var/tmp/oxydra-attack-');
      try {
        const secret = marker('download');
        site = await startTestSite();
        site.pages.set(
          '/payload',
          secret, // served as text/html; the link's download attribute asks for a file
        );
        const name = `../../../../../..${outside}/evil.txt`;
        const a = await hostile(
          '/dl',
          `<a id="a" href="/payload" download="${name}">file</a><a id="b" href="data:text/plain,${secret}" download="${name}">data</a>
         <script>document.getElementById('a').click(); document.getElementById('b').click();</script>`,
          [call('browser_click', { name: 'file' }), call('browser_read')],
        );
        expect(a.run.status, a.run.stderr).toBe(0);
        // Chromium turns the name's slashes into "_"; saveNewFile keeps its last part, made safe.
        expect(output(a)).toMatch(/saved downloads\/[\w.-]*evil(-\d)?\.txt/);
        expect(readdirSync(outside)).toEqual([]);
        const evil = readdirSync(a.env.workspace, { recursive: true, encoding: 'utf8' }).filter((path) =>
          path.includes('evil'),
        );
        expect(evil.length).toBeGreaterThan(0);
        for (const path of evil) {
          expect(path).toMatch(/^downloads\/[\w.-]*evil(-\d)?\.txt$/);
          expect(readFileSync(join(a.env.workspace, path), 'utf8')).toContain(secret);
        }
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('a page whose download passes max_download_mib, finished or endless, has it cut and removed', async () => {
      site = await startTestSite();
      site.files.set('/big', Buffer.alloc(3 * 1024 * 1024, 1));
      site.pages.set('/endless-dl', downloadingPage('/endless'));
      const a = await hostile(
        '/big-dl',
        downloadingPage('/big'),
        [
          call('browser_read'),
          call('browser_open', { url: `${site.origin}/endless-dl` }),
          call('browser_read'),
        ],
        'max_download_mib = 1\naction_timeout_secs = 8\n',
      );
      expect(a.run.status, a.run.stderr).toBe(0);
      const cut = output(a).match(/not saved: cut past 1048576 bytes/g) ?? [];
      expect(cut).toHaveLength(2);
      const downloads = join(a.env.workspace, 'downloads');
      expect(existsSync(downloads) ? readdirSync(downloads) : []).toEqual([]);
    });

    it('a downloads folder made a symbolic link (out of the workspace) is refused', async () => {
      const outside = mkdtempSync('/var/tmp/oxydra-attack-');
      try {
        site = await startTestSite();
        site.files.set('/file', Buffer.from(marker('linked')));
        const a = await hostile('/dl', downloadingPage('/file'), [call('browser_read')], undefined, (env) =>
          symlinkSync(outside, join(env.workspace, 'downloads')),
        );
        expect(a.run.status, a.run.stderr).toBe(0);
        expect(output(a)).toMatch(/not saved: .*symbolic link/);
        expect(readdirSync(outside)).toEqual([]);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('a page that floods memory crashes alone at its heap cap; the agent goes on', async () => {
      site = await startTestSite();
      site.pages.set('/fine', '<h1>Still working</h1>');
      const a = await hostile(
        '/memory',
        `<p>flood</p><script>const hoard = []; setInterval(() => { for (let i = 0; i < 50; i++) hoard.push(new Array(1e6).fill(i)); }, 5);</script>`,
        [
          call('browser_read'),
          call('browser_read'),
          call('browser_open', { url: `${site.origin}/fine` }),
          call('browser_read'),
        ],
        'max_heap_mib = 64\naction_timeout_secs = 8\n',
      );
      expect(a.run.status, a.run.stderr).toBe(0);
      const text = output(a);
      expect(text).toMatch(/crashed|did not finish within/);
      expect(a.ends.at(-1)?.content).toContain('Still working');
    });

    it('a page that busy-loops is cut at the action cap and closed; the agent goes on', async () => {
      site = await startTestSite();
      site.pages.set('/fine', '<h1>Still working</h1>');
      const a = await hostile(
        '/spin',
        `<p>spin</p><script>for (;;) {}</script>`,
        [call('browser_open', { url: `${site.origin}/fine` }), call('browser_read')],
        'action_timeout_secs = 3\n',
      );
      expect(a.run.status, a.run.stderr).toBe(0);
      expect(a.ends[0]?.isError).toBe(true);
      expect(a.ends[0]?.content).toMatch(/did not finish within 3 s/);
      expect(a.ends.at(-1)?.content).toContain('Still working');
    });
  },
);
