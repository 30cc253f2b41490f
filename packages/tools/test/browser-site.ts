/**
 * A small site that needs JavaScript: every page's body is built by a script from JSON it
 * fetches, so a reader without a browser (web_fetch) sees none of the words. Plus pages that
 * attack: they reach for other addresses, download (files, or one that never ends), flood. Each request is counted by path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSite {
  port: number;
  origin: string;
  /** Requests by path (query left out). */
  hits: Map<string, number>;
  /** Bodies POSTed to /submit. */
  submitted: string[];
  /** Pages added by a test: path -> HTML. */
  pages: Map<string, string>;
  /** Files added by a test, served as a download (application/octet-stream, attachment). */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

const shell = (title: string, script: string): string =>
  `<!doctype html><html><head><title>${title}</title></head><body><div id="app">Loading…</div><script>${script}</script></body></html>`;

const HOME = shell(
  'Home',
  `fetch('/api/home').then(r => r.json()).then(d => {
     document.getElementById('app').innerHTML = '<h1>' + d.heading + '</h1><p>' + d.text + '</p><a href="/form">Go to the form</a>';
   });`,
);

/** How long /submit takes to answer: longer than a click takes to return, shorter than the settle cap. */
const SUBMIT_DELAY_MS = 800;

const FORM = shell(
  'Form',
  `document.getElementById('app').innerHTML =
     '<h1>Sign up</h1><label for="e">Email address</label><input id="e" type="text">' +
     '<button id="s">Send it</button><p id="out"></p>';
   document.getElementById('s').onclick = () => {
     const email = document.getElementById('e').value;
     fetch('/submit', { method: 'POST', body: email }).then(r => r.text()).then(t => {
       document.getElementById('out').textContent = t;
     });
   };`,
);

/** A page whose script clicks a download link of `href` at once (`name`: the download attribute). */
export const downloadingPage = (href: string, name = ''): string =>
  `<a id="a" href="${href}" download="${name}">file</a><script>document.getElementById('a').click();</script>`;

export async function startTestSite(host = '127.0.0.1'): Promise<TestSite> {
  const site = {
    hits: new Map<string, number>(),
    submitted: [] as string[],
    pages: new Map<string, string>(),
    files: new Map<string, Buffer>(),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    site.hits.set(path, (site.hits.get(path) ?? 0) + 1);
    const html = (body: string) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    if (path === '/') return html(HOME);
    if (path === '/form') return html(FORM);
    if (path === '/api/home')
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ heading: 'Rendered by script', text: 'The secret word is tangerine.' }));
    if (path === '/submit') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        site.submitted.push(body);
        // Answered late, as a real server may: the click's report must wait for it.
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`Thanks, ${body}!`),
          SUBMIT_DELAY_MS,
        );
      });
      return;
    }
    const page = site.pages.get(path);
    if (page !== undefined) return html(page);
    const file = site.files.get(path);
    const attachment = { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' };
    if (file !== undefined) return res.writeHead(200, attachment).end(file);
    // Downloads that never end: 64 KiB every 10 ms (/endless), or 4 KiB at once (Chromium
    // starts a download once it has some bytes) then a byte every 100 ms (/trickle).
    if (path === '/endless' || path === '/trickle') {
      res.writeHead(200, attachment);
      if (path === '/trickle') res.write(Buffer.alloc(4096, 7));
      const chunk = Buffer.alloc(path === '/endless' ? 64 * 1024 : 1, 7);
      const timer = setInterval(() => res.write(chunk), path === '/endless' ? 10 : 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((ready) => server.listen(0, host, ready));
  const { port } = server.address() as AddressInfo;
  return {
    ...site,
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
