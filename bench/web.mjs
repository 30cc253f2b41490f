#!/usr/bin/env node
// The web dashboard: what the build weighs (packages/web/dist: JS, CSS and HTML, raw and
// gzipped, the budget being 300 KB of gzipped JS) and its first load over loopback in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core), served by the real
// `oxydra gateway`, each load in a fresh browser context (cold cache):
//  (a) the login page: bytes transferred, requests, and time to interactive (navigation start to
//      the token field in the page, seen by a MutationObserver installed before any page script);
//  (b) the chat page of a signed-in tab: the same, to the WebSocket's "connected";
//  (c) the baseline, measured in the same run: loading the gateway's /healthz (a tiny JSON
//      document), i.e. what a page costs before any of the dashboard's own work.
// Usage: node bench/web.mjs [--runs N] (prints one JSON object; needs `npm run build`)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startMockProcess } from './mock-process.mjs';
import { mockWorkspace } from './mock-workspace.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
const CHROMIUM = process.env.OXYDRA_CHROMIUM ?? '/usr/bin/chromium';
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const dist = fileURLToPath(new URL('../packages/web/dist/', import.meta.url));
const TOKEN = 'bench-web-token-0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-web-'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

if (!existsSync(join(dist, 'index.html'))) throw new Error('packages/web/dist is missing: run npm run build');
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);

// ---- the build's weight ----
function filesOf(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesOf(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
const weight = { js: [0, 0], css: [0, 0], html: [0, 0], other: [0, 0] };
for (const file of filesOf(dist).filter((f) => !f.endsWith('.gz'))) {
  const bytes = readFileSync(file);
  const kind = /\.js$/.test(file)
    ? 'js'
    : /\.css$/.test(file)
      ? 'css'
      : /\.html$/.test(file)
        ? 'html'
        : 'other';
  weight[kind][0] += bytes.length;
  weight[kind][1] += gzipSync(bytes, { level: 9 }).length;
}

// ---- a gateway serving it ----
const scenarioPath = join(root, 'scenario.json');
writeFileSync(scenarioPath, JSON.stringify({ steps: [{ reply: { text: 'hello' }, times: 'always' }] }));
const { url: mockUrl, child: mock } = await startMockProcess(bin, scenarioPath);
children.add(mock);
const workspace = join(root, 'ws');
const gatewayEnv = {
  PATH: process.env.PATH,
  HOME: join(root, 'home'),
  OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
  OXYDRA_GATEWAY_TOKEN: TOKEN,
};
mockWorkspace(workspace, mockUrl, '', gatewayEnv);
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const gateway = spawn(process.execPath, [bin, 'gateway', '--bind', `127.0.0.1:${port}`], {
  cwd: workspace,
  env: gatewayEnv,
  stdio: ['ignore', 'ignore', 'inherit'],
});
children.add(gateway);
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/readyz`)).status === 200) break;
  } catch {}
  if (i > 2000) throw new Error('oxydra gateway did not start');
  await sleep(5);
}

// ---- loads in Chromium ----
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});

/** Installed before any page script: the time (ms since navigation start) `ready()` first holds. */
const watch = (ready) => `
  (() => {
    const ready = ${ready};
    const check = () => {
      if (window.__ready === undefined && ready()) window.__ready = performance.now();
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
  })();`;

async function load(path, { ready, token } = {}) {
  const context = await browser.newContext();
  if (token)
    await context.addInitScript(`sessionStorage.setItem('oxydra.gateway-token', ${JSON.stringify(token)})`);
  if (ready) await context.addInitScript(watch(ready));
  const page = await context.newPage();
  const requests = [];
  page.on('requestfinished', (request) => requests.push(request));
  await page.goto(`${url}${path}`, { waitUntil: 'load' });
  if (ready) await page.waitForFunction(() => window.__ready !== undefined);
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return { load: nav.loadEventEnd, ready: window.__ready };
  });
  let bytes = 0;
  for (const request of requests) {
    const sizes = await request.sizes();
    bytes += sizes.responseBodySize + sizes.responseHeadersSize;
  }
  await context.close();
  return { bytes, requests: requests.length, loadMs: timing.load, readyMs: timing.ready };
}

const cases = {
  baseline_healthz: { path: '/healthz' },
  login_page: { path: '/', ready: "() => document.getElementById('token') !== null" },
  chat_signed_in: {
    path: '/',
    token: TOKEN,
    ready:
      "() => [...document.querySelectorAll('.connection .badge')].some((b) => b.textContent === 'connected')",
  },
};
const results = {};
for (const [name, spec] of Object.entries(cases)) {
  await load(spec.path, spec); // warm-up: the gateway's first answers, Chromium's first process
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await load(spec.path, spec));
  const last = samples.at(-1);
  results[name] = {
    bytes_transferred: last.bytes,
    requests: last.requests,
    load_event: summarize(samples.map((s) => s.loadMs)),
    ...(spec.ready ? { time_to_interactive: summarize(samples.map((s) => s.readyMs)) } : {}),
  };
}
const version = browser.version();
await browser.close();
gateway.kill('SIGTERM');

const kb = (n) => Math.round((n / 1024) * 10) / 10;
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'web',
      chromium: version,
      runs,
      dist: {
        js_bytes: weight.js[0],
        js_gzip_bytes: weight.js[1],
        js_gzip_kb: kb(weight.js[1]),
        js_gzip_budget_kb: 300,
        css_bytes: weight.css[0],
        css_gzip_bytes: weight.css[1],
        html_bytes: weight.html[0],
        other_bytes: weight.other[0],
      },
      first_load: results,
    },
    null,
    2,
  )}\n`,
);
