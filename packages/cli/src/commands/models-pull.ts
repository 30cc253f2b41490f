/**
 * `oxydra models pull <url>`: downloads a GGUF model into the local models folder for the
 * llama_cpp provider. The bytes go to `<name>.partial` beside the final name, so an interrupted
 * pull resumes where it stopped (an HTTP Range request; a server that ignores it sends the whole
 * file again). The finished file is hashed and compared with the SHA-256 the user gave
 * (--sha256), a `<url>.sha256` sidecar, or the hub's own (Hugging Face's x-linked-etag), and
 * only then renamed to its final name: a final name always holds a whole, verified file. With
 * no checksum from anywhere the pull refuses to start (fail closed).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { localModelsDir, readTextPrefix } from '@oxydra/provider';
import { UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { PullProgress } from './models-progress.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** A model file name: no folders, no hidden files. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export interface PullOptions {
  sha256?: string;
  name?: string;
}

export async function runModelsPull(url: string, options: PullOptions): Promise<number> {
  const source = parseSource(url);
  const shown = shownUrl(source);
  const name = options.name ?? fileNameOf(source);
  if (!SAFE_NAME.test(name)) {
    throw new UsageError(
      `cannot name the model file "${name}": use --name <file>.gguf (letters, digits, . _ -)`,
    );
  }
  const given = options.sha256?.toLowerCase();
  if (given !== undefined && !SHA256.test(given)) {
    throw new UsageError(`--sha256 must be 64 hexadecimal digits, got "${options.sha256}"`);
  }
  const dir = localModelsDir();
  const target = join(dir, name);
  const partial = `${target}.partial`;
  const expected = given ?? (await sidecarChecksum(source));

  await mkdir(dir, { recursive: true });
  const offset = await sizeOf(partial);
  const response = await fetch(source, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
  const hubChecksum = response.headers.get('x-linked-etag')?.replaceAll('"', '').toLowerCase();
  const checksum = expected ?? (hubChecksum && SHA256.test(hubChecksum) ? hubChecksum : undefined);
  if (checksum === undefined) {
    await response.body?.cancel();
    throw new UsageError(
      `no SHA-256 for ${shown}: pass --sha256 <hex> (from the model's page), or serve ${shown}.sha256 beside it`,
    );
  }
  // 416: the partial file already holds every byte; 206: the server resumes; 200: from the start.
  if (response.status !== 416) {
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      process.stderr.write(`error: GET ${shown} answered ${response.status} ${response.statusText}\n`);
      return EXIT_FAILURE;
    }
    await receive(response, partial, response.status === 206 ? offset : 0, name);
  }

  const actual = await sha256Of(partial);
  if (actual !== checksum) {
    await rm(partial, { force: true });
    process.stderr.write(
      `error: ${name} does not match its SHA-256 (expected ${checksum}, got ${actual}); the download was removed, run the pull again\n`,
    );
    return EXIT_FAILURE;
  }
  await rename(partial, target);
  process.stdout.write(`${target}\n`);
  return EXIT_OK;
}

async function receive(response: Response, partial: string, start: number, name: string): Promise<void> {
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const progress = new PullProgress(name, start, Number.isFinite(length) ? start + length : undefined);
  const file = await open(partial, start > 0 ? 'a' : 'w');
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        await file.write(chunk);
        progress.add(chunk.byteLength);
      }
    }
  } finally {
    await file.close();
    progress.done();
  }
}

function parseSource(url: string): URL {
  let source: URL;
  try {
    source = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL: give the http(s) address of a .gguf file`);
  }
  if (source.protocol !== 'https:' && source.protocol !== 'http:') {
    throw new UsageError(`cannot pull from ${source.protocol} URLs: give an http(s) address`);
  }
  return source;
}

/** The URL as messages show it: never a user:password part or a query (which may hold a token). */
function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function fileNameOf(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The first 64-digit hex word of `<url>.sha256`, when the server has one. */
async function sidecarChecksum(source: URL): Promise<string | undefined> {
  const sidecar = new URL(source);
  sidecar.pathname = `${sidecar.pathname}.sha256`;
  try {
    const response = await fetch(sidecar);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    // Only its start: the sidecar's server is any the URL names, and may send without end.
    const text = await readTextPrefix(response, 4096);
    return text.toLowerCase().match(/\b[0-9a-f]{64}\b/)?.[0];
  } catch {
    return undefined;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
