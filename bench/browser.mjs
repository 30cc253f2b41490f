#!/usr/bin/env node
// The browser tools on the system's Chromium, against a local site that renders with JavaScript:
//  (a) cold start: playwright-core's import alone, then a first browser_open from nothing
//      (import, Chromium's launch, a context with its egress proxy, the page's load);
//  (b) per-action latency, warm: browser_open, browser_read, browser_click, browser_type,
//      browser_screenshot (median, p90 over --runs rounds);
//  (c) memory per open session: Chromium's proportional set size (PSS, shared pages split
//      fairly) summed over its processes, with 1 session and with --sessions sessions open.
// Usage: node bench/browser.mjs [--runs N] [--sessions N] (one JSON object; needs `npm run build`)
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createBrowserTools } from '../packages/tools/dist/browser/index.js';
import { findChromium } from '../packages/tools/dist/browser/launch.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, sessions: { type: 'string', default: '4' } },
});
const runs = Number(values.runs);
const sessions = Number(values.sessions);
const chromium = findChromium();
if (!chromium) {
  process.stdout.write(`${JSON.stringify({ bench: 'browser', skipped: 'no Chromium on PATH' })}\n`);
  process.exit(0);
}

// The test site of packages/tools/test/browser-site.ts, built by tsc into no dist: a copy here.
const { createServer } = await import('node:http');
const PAGE = (title, script) =>
  `<!doctype html><html><head><title>${title}</title></head><body><div id="app"></div><script>${script}</script></body></html>`;
const HOME = PAGE(
  'Home',
  `fetch('/api').then(r => r.json()).then(d => { document.getElementById('app').innerHTML = '<h1>' + d.h + '</h1><a href="/form">Form</a>'; });`,
);
const FORM = PAGE(
  'Form',
  `document.getElementById('app').innerHTML = '<label for="e">Email</label><input id="e"><button>Send</button>';`,
);
const server = createServer((req, res) => {
  if (req.url === '/api')
    return res.writeHead(200, { 'content-type': 'application/json' }).end('{"h":"Rendered"}');
  res.writeHead(200, { 'content-type': 'text/html' }).end(req.url === '/form' ? FORM : HOME);
});
await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
const origin = `http://127.0.0.1:${server.address().port}`;

const config = {
  enabled: true,
  idle_timeout_secs: 600,
  action_timeout_secs: 30,
  max_sessions: sessions + 1,
  max_heap_mib: 256,
  run_as: '65534:65534',
  no_sandbox: false,
};
const { tools, close } = createBrowserTools({
  browser: config,
  egressAllowlist: [`127.0.0.1:${server.address().port}`],
});
const byName = new Map(tools.map((tool) => [tool.name, tool]));
const ctx = (sessionId) => ({ workspace: '/nonexistent', signal: new AbortController().signal, sessionId });
const call = async (name, args = {}, session = 'bench') => {
  const result = await byName.get(name).execute(args, ctx(session));
  if (typeof result !== 'string' && result.isError) throw new Error(`${name}: ${result.content}`);
  return result;
};
const timed = async (fn) => {
  const begin = performance.now();
  await fn();
  return performance.now() - begin;
};
const round = (x) => Math.round(x * 10) / 10;

// (a) cold start. The import is measured in a child process: this one imports it below anyway.
const { execFileSync } = await import('node:child_process');
const importMs = Number(
  execFileSync(process.execPath, [
    '--input-type=module',
    '-e',
    "const t = performance.now(); await import('playwright-core'); process.stdout.write(String(performance.now() - t));",
  ]).toString(),
);
const coldOpenMs = await timed(() => call('browser_open', { url: `${origin}/` }));

// (b) warm actions.
const samples = {
  browser_open: [],
  browser_read: [],
  browser_click: [],
  browser_type: [],
  browser_screenshot: [],
};
for (let i = 0; i < runs; i++) {
  samples.browser_open.push(await timed(() => call('browser_open', { url: `${origin}/` })));
  samples.browser_read.push(await timed(() => call('browser_read')));
  samples.browser_click.push(await timed(() => call('browser_click', { name: 'Form' })));
  samples.browser_type.push(
    await timed(() => call('browser_type', { name: 'Email', text: 'ada@example.test' })),
  );
  samples.browser_screenshot.push(await timed(() => call('browser_screenshot')));
}

// (c) memory: Chromium's processes are this process's descendants.
function chromiumPssKb() {
  const parent = new Map();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  let total = 0;
  let count = 0;
  for (const pid of parent.keys()) {
    let at = parent.get(pid);
    while (at !== undefined && at > 1 && at !== process.pid) at = parent.get(at);
    if (at !== process.pid) continue;
    try {
      total += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      count += 1;
    } catch {}
  }
  return { kb: total, processes: count };
}
const settle = () => new Promise((done) => setTimeout(done, 1000));
await settle();
const one = chromiumPssKb();
for (let i = 1; i < sessions; i++) await call('browser_open', { url: `${origin}/` }, `bench-${i}`);
await settle();
const many = chromiumPssKb();
await close();
server.close();

const summary = (list) => {
  const s = summarize(list);
  return { median_ms: round(s.median_ms), p90_ms: round(s.p90_ms), max_ms: round(s.max_ms) };
};
process.stdout.write(
  `${JSON.stringify({
    bench: 'browser',
    chromium,
    runs,
    cold_start: { import_playwright_ms: round(importMs), first_open_ms: round(coldOpenMs) },
    actions: Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, summary(list)])),
    memory: {
      one_session: { chromium_pss_mib: round(one.kb / 1024), processes: one.processes },
      [`${sessions}_sessions`]: { chromium_pss_mib: round(many.kb / 1024), processes: many.processes },
      per_extra_session_mib: round((many.kb - one.kb) / 1024 / (sessions - 1)),
    },
  })}\n`,
);
