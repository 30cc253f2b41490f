/**
 * Downloads a model's files into its cache folder. Each file is streamed into a temp file of
 * its own (unique per process and call) and renamed over the final name only once complete,
 * and complete means every byte Content-Length promised. So a final name always holds a whole
 * file: an interrupted, truncated or failed download leaves no file that looks complete, and
 * the next run simply downloads that file again. Files already present are not requested.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Model2VecError } from './errors.js';
import { MODEL_FILE_MAX_BYTES, MODEL_FILES } from './source.js';

export interface DownloadProgress {
  file: string;
  received: number;
  /** From Content-Length; absent when the server does not say. */
  total?: number;
}

export interface DownloadOptions {
  /** Repo id or URL, as the user wrote it, for messages. */
  label: string;
  /** Folder URL; each file is fetched from `<baseUrl>/<file>`. */
  baseUrl: string;
  dir: string;
  fetch: typeof fetch;
  onProgress?: (progress: DownloadProgress) => void;
}

/** Makes sure every model file is in `dir`, downloading the missing ones. */
export async function ensureModelFiles(options: DownloadOptions): Promise<void> {
  const missing: (typeof MODEL_FILES)[number][] = [];
  for (const file of MODEL_FILES) {
    if (!(await isFile(join(options.dir, file)))) missing.push(file);
  }
  if (missing.length === 0) return;
  try {
    await mkdir(options.dir, { recursive: true });
  } catch (error) {
    throw failure(options, `cannot create ${options.dir} (${describe(error)})`, error);
  }
  for (const file of missing) {
    const url = `${options.baseUrl}/${file}`;
    try {
      await downloadFile(url, join(options.dir, file), file, options);
    } catch (error) {
      throw failure(options, `GET ${url} failed: ${describe(error)}`, error);
    }
  }
}

function failure(options: DownloadOptions, reason: string, cause: unknown): Model2VecError {
  const hint = `use memory.embedding_backend = "deterministic" offline, or put the model files (${MODEL_FILES.join(', ')}) in ${options.dir}`;
  return new Model2VecError(`cannot download ${options.label}: ${reason}; ${hint}`, { cause });
}

async function downloadFile(
  url: string,
  destination: string,
  file: (typeof MODEL_FILES)[number],
  options: DownloadOptions,
): Promise<void> {
  const response = await options.fetch(url, { redirect: 'follow' });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  if (response.body === null) throw new Error('the response has no body');
  // With a Content-Encoding, Content-Length counts the compressed bytes, not what fetch yields.
  const encoding = response.headers.get('content-encoding');
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = (!encoding || encoding === 'identity') && Number.isSafeInteger(length) ? length : undefined;

  const temp = `${destination}.${process.pid}-${randomBytes(6).toString('hex')}.part`;
  const handle = await open(temp, 'wx');
  let received = 0;
  try {
    options.onProgress?.({ file, received, ...(total === undefined ? {} : { total }) });
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > MODEL_FILE_MAX_BYTES[file]) {
        await reader.cancel().catch(() => undefined);
        throw new Error(`more than ${MODEL_FILE_MAX_BYTES[file]} bytes`);
      }
      await handle.write(value);
      options.onProgress?.({ file, received, ...(total === undefined ? {} : { total }) });
    }
    if (total !== undefined && received !== total) {
      throw new Error(`truncated: received ${received} of ${total} bytes`);
    }
    // On disk before the rename makes it visible, so a crash cannot leave a short final file.
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  try {
    await rename(temp, destination);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** "fetch failed" alone says nothing; the cause (ECONNREFUSED, ENOTFOUND, ...) does. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const detail = cause.message || (cause as { code?: string }).code || cause.name;
    return `${error.message} (${detail})`;
  }
  return error.message;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
