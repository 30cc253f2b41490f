/**
 * `oxydra models pull` and `oxydra models list --local` with the real binary against a real HTTP
 * server on loopback that honours Range requests: checksum from a sidecar or the flag, resume
 * of a partial download, a mismatch removing the file, no checksum refusing to start.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tinyGguf } from '@oxydra/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

const MODEL = tinyGguf();
const DIGEST = createHash('sha256').update(MODEL).digest('hex');

let sandbox: CliSandbox;
let server: Server;
let base: string;
let models: string;
const ranges: (string | undefined)[] = [];
/** The bytes of the endless sidecar sent once its connection closed. */
let sidecarClosed: Promise<number>;
/** Where the endless sidecar stops on its own: far past the few KiB a pull reads of it. */
const SIDECAR_STOP = 64 * 1024 * 1024;

/** `<digest>  tiny.gguf`, then lines of padding until SIDECAR_STOP or the client leaves. */
function endlessSidecar(response: ServerResponse): void {
  let sent = 0;
  const write = (text: string) => {
    sent += text.length;
    response.write(text);
  };
  write(`${DIGEST}  tiny.gguf\n`);
  const timer = setInterval(() => {
    if (sent >= SIDECAR_STOP) response.end();
    else if (!response.writableNeedDrain)
      write('# padding of a checksum file that never ends\n'.repeat(2000));
  }, 1);
  sidecarClosed = new Promise((resolve) =>
    response.on('close', () => {
      clearInterval(timer);
      resolve(sent);
    }),
  );
}

beforeEach(async () => {
  ranges.length = 0;
  server = createServer((request, response) => {
    const path = request.url ?? '';
    if (path === '/m/tiny.gguf.sha256') return void response.end(`${DIGEST}  tiny.gguf\n`);
    if (path === '/endless/tiny.gguf.sha256') return endlessSidecar(response);
    if (!['/m/tiny.gguf', '/bare/tiny.gguf', '/endless/tiny.gguf'].includes(path))
      return void response.writeHead(404).end();
    ranges.push(request.headers.range);
    const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
    if (start >= MODEL.length) return void response.writeHead(416).end();
    response.writeHead(start > 0 ? 206 : 200, { 'content-length': String(MODEL.length - start) });
    response.end(MODEL.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = new CliSandbox();
  models = join(sandbox.root, 'models');
  sandbox.env.OXYDRA_MODELS_DIR = models;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  sandbox.cleanup();
});

/** Async, so this process's server can answer while the binary runs. */
async function oxydra(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [OXYDRA_BIN, ...args], {
      cwd: sandbox.workspace,
      env: sandbox.env,
      timeout: 60_000,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('oxydra models pull', () => {
  it('downloads, checks the sidecar SHA-256, and lists the file', async () => {
    const result = await oxydra('models', 'pull', `${base}/m/tiny.gguf`);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(join(models, 'tiny.gguf'));
    expect(readFileSync(join(models, 'tiny.gguf')).equals(MODEL)).toBe(true);
    expect(existsSync(join(models, 'tiny.gguf.partial'))).toBe(false);
    // Not a terminal: the progress is lines on stderr, the last at 100%.
    expect(result.stderr).toMatch(/tiny\.gguf \[#+\] 100%/);

    const list = await oxydra('models', 'list', '--local', '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      { name: 'tiny.gguf', path: join(models, 'tiny.gguf'), bytes: MODEL.length },
    ]);
    // The built-in `local` entry runs models in process: its list is the local files too.
    expect((await oxydra('models', 'list', '--provider', 'local')).stdout).toMatch(/^tiny\.gguf +0\.\d MB\n/);
  });

  it('reads only the start of a sidecar that never ends, and lets its connection go', async () => {
    const result = await oxydra('models', 'pull', `${base}/endless/tiny.gguf`);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(models, 'tiny.gguf')).equals(MODEL)).toBe(true);
    // Before, the pull read the sidecar whole (here until the server stopped, at 64 MiB).
    expect(await sidecarClosed).toBeLessThan(SIDECAR_STOP / 2);
  });

  it('resumes a partial download with a Range request', async () => {
    mkdirSync(models, { recursive: true });
    const half = Math.floor(MODEL.length / 2);
    writeFileSync(join(models, 'tiny.gguf.partial'), MODEL.subarray(0, half));
    const result = await oxydra('models', 'pull', `${base}/bare/tiny.gguf`, '--sha256', DIGEST);
    expect(result.status, result.stderr).toBe(0);
    expect(ranges).toEqual([`bytes=${half}-`]);
    expect(result.stderr).toContain('resuming tiny.gguf at');
    expect(readFileSync(join(models, 'tiny.gguf')).equals(MODEL)).toBe(true);
  });

  it('removes a download whose SHA-256 does not match, exit 1', async () => {
    const result = await oxydra('models', 'pull', `${base}/bare/tiny.gguf`, '--sha256', 'a'.repeat(64));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`does not match its SHA-256 (expected ${'a'.repeat(64)}, got ${DIGEST})`);
    expect(existsSync(join(models, 'tiny.gguf'))).toBe(false);
    expect(existsSync(join(models, 'tiny.gguf.partial'))).toBe(false);
  });

  it('refuses to pull without a checksum from anywhere, exit 2 in one line', async () => {
    const result = await oxydra('models', 'pull', `${base}/bare/tiny.gguf`);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: no SHA-256 for .*: pass --sha256 <hex>/);
    expect(existsSync(join(models, 'tiny.gguf'))).toBe(false);
  });

  it('refuses a file name with a folder in it', async () => {
    const result = await oxydra('models', 'pull', `${base}/m/tiny.gguf`, '--name', '../evil.gguf');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: cannot name the model file "\.\.\/evil\.gguf"/);
  });
});
