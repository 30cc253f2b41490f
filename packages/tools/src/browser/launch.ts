/**
 * Starting the system's Chromium through playwright-core (never a downloaded browser). The
 * library is an optional package, imported here only, at the first browser action. Chromium
 * keeps its own sandbox on; as root it refuses that sandbox, so Oxydra starts it as an ordinary
 * uid instead (setpriv through a small wrapper, [tools.browser] run_as), never as root. It gets
 * no environment of ours (no keys), a private HOME and download folder, and a network that is
 * the egress proxy only.
 */
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { findOnPath } from '../search/on-path.js';

export interface LaunchSettings {
  /** A configured Chromium path; else the first of CHROMIUM_NAMES on PATH. */
  executable?: string | undefined;
  /** "UID[:GID]" Chromium runs as when Oxydra is root. */
  runAs: string;
  noSandbox: boolean;
  maxHeapMib: number;
  /** The refuse-everything proxy the browser itself (not a page) would use. */
  fallbackProxy: string;
}

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const SETPRIV = '/usr/bin/setpriv';
/** Chromium that has not started by then (a stuck machine) fails the call instead of holding it. */
const LAUNCH_TIMEOUT_MS = 60_000;

export function findChromium(executable?: string): string | undefined {
  if (executable !== undefined) return executable;
  for (const name of CHROMIUM_NAMES) {
    const found = findOnPath(name);
    if (found) return found;
  }
  return undefined;
}

type Chromium = typeof import('playwright-core').chromium;

/** playwright-core, or an error saying how to install it. */
async function loadPlaywright(): Promise<Chromium> {
  try {
    return (await import('playwright-core')).chromium;
  } catch {
    throw new Error(
      'the browser tools need the playwright-core package, which is not installed; run `npm install -g playwright-core` (or add it to the project), or set [tools.browser] enabled = false',
    );
  }
}

/** Chromium's switches: no QUIC (UDP would skip the proxy), no WebRTC UDP outside it, capped heap. */
function chromiumArgs(maxHeapMib: number): string[] {
  return [
    '--disable-quic',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--dns-prefetch-disable',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-features=DnsOverHttps,AsyncDns',
    // Chromium's renderers' V8 (not Oxydra's own, whose flags live in the launcher's table).
    `--js-flags=--max_old_space_size=${maxHeapMib}`,
  ];
}

export interface Launched {
  browser: Browser;
  /** The browser's own download folder, private to it (downloads.ts copies from there). */
  downloads: string;
  /** Removes the private HOME, download folder and wrapper. */
  cleanup(): Promise<void>;
}

export async function launchChromium(settings: LaunchSettings): Promise<Launched> {
  const executable = findChromium(settings.executable);
  if (!executable)
    throw new Error(
      `no Chromium found (looked for ${CHROMIUM_NAMES.join(', ')} on PATH); install it (Debian: apt-get install chromium) or set [tools.browser] executable`,
    );
  const chromium = await loadPlaywright();
  const home = await mkdtemp(join(tmpdir(), 'oxydra-browser-'));
  try {
    await mkdir(join(home, 'home'), { mode: 0o700 });
    const downloads = join(home, 'downloads');
    await mkdir(downloads, { mode: 0o700 });
    const root = process.geteuid?.() === 0;
    const executablePath = root ? await unprivilegedWrapper(home, executable, settings.runAs) : executable;
    const browser = await chromium.launch({
      executablePath,
      downloadsPath: downloads,
      headless: true,
      chromiumSandbox: !settings.noSandbox,
      // `<-loopback>` named explicitly: Chromium otherwise sends loopback around any proxy.
      proxy: { server: settings.fallbackProxy, bypass: '<-loopback>' },
      args: chromiumArgs(settings.maxHeapMib),
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: join(home, 'home'), LANG: 'C.UTF-8' },
      timeout: LAUNCH_TIMEOUT_MS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    return { browser, downloads, cleanup: () => rm(home, { recursive: true, force: true }) };
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw launchError(error, executable);
  }
}

/**
 * A script that starts Chromium as `runAs`: Playwright runs it in Chromium's place, with
 * Chromium's arguments (and its DevTools pipe on fds 3 and 4, which exec keeps). Playwright
 * made the profile folder as root; it is handed to the new uid first. The folder holding the
 * script is ours alone (0700), so nobody can swap the script between writing and running it.
 */
async function unprivilegedWrapper(home: string, executable: string, runAs: string): Promise<string> {
  const [uid = 65534, gid = uid] = runAs.split(':').map(Number);
  // Its HOME and download folder are the new uid's (downloads.ts copies out as us, no-follow).
  await chown(join(home, 'home'), uid, gid);
  await chown(join(home, 'downloads'), uid, gid);
  // The parent must be searchable by the new uid to reach its HOME.
  await chmod(home, 0o711);
  const script = join(home, 'chromium.sh');
  const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
  await writeFile(
    script,
    [
      '#!/bin/sh',
      'for arg in "$@"; do',
      // The shell's own expansion, not a template placeholder: the profile folder's path.
      `  case "$arg" in --user-data-dir=*) chown -R ${uid}:${gid} "\${arg#--user-data-dir=}" ;; esac`,
      'done',
      `exec ${SETPRIV} --reuid=${uid} --regid=${gid} --clear-groups -- ${quote(executable)} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return script;
}

function launchError(error: unknown, executable: string): Error {
  const text = error instanceof Error ? error.message : String(error);
  if (/No usable sandbox|sandbox/i.test(text) && !/playwright-core package/.test(text))
    return new Error(
      `Chromium (${executable}) could not start its sandbox; allow unprivileged user namespaces, or set [tools.browser] no_sandbox = true inside a container you trust`,
    );
  return new Error(`Chromium (${executable}) did not start: ${text.split('\n')[0] ?? text}`);
}
