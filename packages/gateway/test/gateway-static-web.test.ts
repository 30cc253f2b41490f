/**
 * The web dashboard's files over a real gateway: / and /assets/* load without a token (and only
 * they: every other path, and any other method, still needs it), with a strict
 * Content-Security-Policy and caching by kind; gzip copies go to clients that accept them; paths
 * that climb out of the folder, dot files, directories and symlinks out are refused; a folder
 * that was never built answers / with a page saying how to build it.
 */
import { symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let tmp: TempWorkspace;
let webRoot: string;
let env: TestGateway;
const SCRIPT = 'console.log("dashboard");\n'.repeat(50);

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(env.gateway.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  tmp = tempWorkspace({
    prefix: 'oxydra-web-root-',
    files: {
      'secret.txt': 'TOP-SECRET',
      'dist/index.html':
        '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body></body></html>',
      'dist/assets/app-abc123.js': SCRIPT,
      'dist/assets/app-abc123.js.gz': gzipSync(SCRIPT),
      'dist/assets/style-1.css': 'body{color:red}',
      'dist/assets/.hidden': 'hidden',
      'dist/assets/sub/x.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    },
  });
  webRoot = tmp.path('dist');
  symlinkSync(tmp.path('secret.txt'), join(webRoot, 'assets', 'leak.txt'));
  env = await startTestGateway({ webRoot });
});

afterAll(async () => {
  await env.cleanup();
  tmp.cleanup();
});

describe('the web dashboard files', () => {
  it('serves / without a token, with a strict policy and no caching', async () => {
    const response = await fetch(`${env.gateway.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('/assets/app-abc123.js');
    const csp = response.headers.get('content-security-policy') ?? '';
    const host = new URL(env.gateway.url).host;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves hashed assets for a year, gzipped to clients that accept it', async () => {
    const plain = await rawGet('/assets/app-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    const zipped = await rawGet('/assets/app-abc123.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('accept-encoding');
    expect(zipped.body.length).toBeLessThan(SCRIPT.length);
    expect(gunzipSync(zipped.body).toString()).toBe(SCRIPT);
    const css = await rawGet('/assets/style-1.css', { 'accept-encoding': 'gzip' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['content-encoding'], 'no .gz beside it: sent as is').toBeUndefined();
    expect((await rawGet('/assets/sub/x.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('refuses traversal, dot files, directories, symlinks out and unknown files', async () => {
    for (const path of [
      '/assets/../index.html',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/sub/..%5c..%5c..%5csecret.txt',
      '/assets/.hidden',
      '/assets/sub',
      '/assets/sub/',
      '/assets/leak.txt',
      '/assets/missing.js',
      '/assets/%00.js',
      '/assets/%E0%A4%A',
    ]) {
      const response = await rawGet(path);
      expect(response.status, path).not.toBe(200);
      expect(response.body.toString(), path).not.toContain('TOP-SECRET');
      expect(response.body.toString(), path).not.toContain('hidden');
    }
  });

  it('opens only GET and HEAD of / and /assets/* without the token', async () => {
    expect((await rawGet('/', {}, 'HEAD')).status).toBe(200);
    expect((await rawGet('/', {}, 'POST')).status).toBe(401);
    expect((await rawGet('/index.html')).status).toBe(401);
    expect((await rawGet('/assets')).status).toBe(401);
    expect((await rawGet('/v1/models')).status).toBe(401);
    expect((await rawGet('/v1/models', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});

describe('without a built dashboard', () => {
  it('answers / with a page saying to run npm run build', async () => {
    const empty = tempWorkspace({ prefix: 'oxydra-web-empty-' });
    const other = await startTestGateway({ webRoot: empty.path('dist') });
    try {
      const response = await fetch(`${other.gateway.url}/`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('npm run build');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    } finally {
      await other.cleanup();
      empty.cleanup();
    }
  });

  it('serves nothing at / when no folder is given (the token is needed as before)', async () => {
    const other = await startTestGateway();
    try {
      expect((await fetch(`${other.gateway.url}/`)).status).toBe(401);
      expect((await fetch(`${other.gateway.url}/assets/app.js`)).status).toBe(401);
    } finally {
      await other.cleanup();
    }
  });
});
