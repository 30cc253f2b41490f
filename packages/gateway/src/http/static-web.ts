/**
 * The web dashboard's files (the built @oxydra/web, handed in as `webRoot` by the CLI: the gateway
 * cannot import a higher layer): GET / is index.html and GET /assets/* its hashed files, the only
 * paths open without a token (the login page must load before the token is known). Only regular
 * files inside webRoot are served; traversal, symlinks out and dot files are refused. The HTML
 * carries a strict Content-Security-Policy (same-origin scripts, styles and connections only, no
 * inline script, no framing). Hashed assets are cached for a year, index.html never; a `.gz`
 * beside a file (the build writes them) is sent to browsers that accept gzip.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE } from '../auth.js';

const WEB_ASSETS_PREFIX = '/assets/';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Host headers safe to repeat in the policy (a name or address and a port, nothing else). */
const SAFE_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** The page's policy: everything from this origin only; WebSockets to this host only. */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function commonHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-resource-policy', 'same-origin');
}

function notBuilt(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  commonHeaders(reply);
  reply.header('content-security-policy', contentSecurityPolicy(request.headers.host));
  reply.header('cache-control', 'no-store');
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Oxydra: dashboard not built</title></head>' +
        '<body><h1>The web dashboard is not built</h1>' +
        '<p>This gateway serves its API, but the dashboard files are missing. ' +
        'Run <code>npm run build</code> in the Oxydra repository (it builds <code>packages/web</code>), ' +
        'then reload this page.</p></body></html>\n',
    );
}

/** The regular file at `relative` inside `root`, or undefined (missing, outside, not a plain file). */
async function resolveInside(root: string, relative: string): Promise<string | undefined> {
  const segments = relative.split('/');
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('.') || segment.includes('\\') || segment.includes('\0'))
      return undefined;
  }
  try {
    const realRoot = await realpath(root);
    const real = await realpath(join(realRoot, ...segments));
    if (!real.startsWith(realRoot + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function acceptsGzip(request: FastifyRequest): boolean {
  const accept = request.headers['accept-encoding'];
  return typeof accept === 'string' && /\bgzip\b/i.test(accept);
}

/** The file, or its `.gz` copy (a regular file beside it) when the client accepts gzip. */
async function pickEncoding(
  request: FastifyRequest,
  file: string,
): Promise<{ path: string; gzip: boolean; size: number }> {
  if (acceptsGzip(request)) {
    try {
      const gz = await stat(`${file}.gz`);
      if (gz.isFile()) return { path: `${file}.gz`, gzip: true, size: gz.size };
    } catch {}
  }
  return { path: file, gzip: false, size: (await stat(file)).size };
}

export function registerStaticWeb(app: FastifyInstance, webRoot: string): void {
  app.get('/', PUBLIC_ROUTE, async (request, reply) => {
    const index = await resolveInside(webRoot, 'index.html');
    if (!index) return notBuilt(reply, request);
    const chosen = await pickEncoding(request, index);
    commonHeaders(reply);
    reply.header('content-security-policy', contentSecurityPolicy(request.headers.host));
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-cache');
    reply.header('vary', 'accept-encoding');
    if (chosen.gzip) reply.header('content-encoding', 'gzip');
    return reply.type('text/html; charset=utf-8').send(await readFile(chosen.path));
  });

  app.get<{ Params: { '*': string } }>(`${WEB_ASSETS_PREFIX}*`, PUBLIC_ROUTE, async (request, reply) => {
    const raw = (request.url.split('?', 1)[0] ?? '').slice(WEB_ASSETS_PREFIX.length);
    let relative: string;
    try {
      relative = decodeURIComponent(raw);
    } catch {
      relative = '';
    }
    const file = relative ? await resolveInside(join(webRoot, 'assets'), relative) : undefined;
    commonHeaders(reply);
    if (!file) {
      reply.header('cache-control', 'no-store');
      return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    const chosen = await pickEncoding(request, file);
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    reply.header('vary', 'accept-encoding');
    reply.header('content-length', String(chosen.size));
    if (chosen.gzip) reply.header('content-encoding', 'gzip');
    reply.type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    return reply.send(createReadStream(chosen.path));
  });
}
