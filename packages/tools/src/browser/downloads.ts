/**
 * A page's downloads, saved into the workspace under the file tools' rules. Chromium writes a
 * download into the browser's private folder (its own uid's, never the workspace); while it
 * runs, its size is watched and one past [tools.browser] max_download_mib is cancelled and
 * removed. A finished one is copied by Oxydra, no-follow and capped, to a new owner-only file
 * `downloads/<safe name>` in the session's workspace (saveNewFile: never over a file, never
 * through a link, never into a denied folder; `-2`, `-3`... when the name is taken), then
 * removed from the browser's folder. The page picks neither the folder nor more than a sanitised
 * name, so no `download="../../x"` reaches outside. What became of each is said in the next tool
 * result; the file's content is the page's: untrusted.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DOWNLOADS_DIR } from '@oxydra/types';
import type { Download } from 'playwright-core';
import { openForReading } from '../fs/anchored.js';
import { safeFileName, saveNewFile } from '../fs/save-new.js';
import type { PathPolicy } from '../paths.js';

/** Downloads running at once per session: many files under the cap would fill the disk too. */
const MAX_RUNNING = 3;
/** Downloads one browser context may start in all (a page looping on them); browser_close resets it. */
const MAX_PER_SESSION = 20;
/** Lines kept until the next tool result reads them. */
const MAX_LINES = 20;
/** How often a running download's size is looked at: the cap is overshot by at most this much transfer. */
const WATCH_MS = 100;
const CHUNK_BYTES = 1024 * 1024;

export interface DownloadRules {
  /** The browser's own download folder (Chromium writes `<guid>.crdownload` there, then `<guid>`). */
  folder: string;
  maxBytes: number;
  /** The file tools' denied folders (the vault, the secrets folders). */
  policy: PathPolicy;
  /** How long a tool result waits for running downloads before reporting them as still running. */
  waitMs: number;
}

/** A saved download, as the tool result's data lists it. */
export interface SavedDownload {
  path: string;
  bytes: number;
  url: string;
}

class DownloadCut extends Error {}

export class SessionDownloads {
  /** The workspace the session's tool calls run in: where its downloads go. */
  workspace: string | undefined;
  private readonly running = new Map<Promise<void>, string>();
  private readonly lines: string[] = [];
  private readonly saved: SavedDownload[] = [];
  private closed = false;
  private started = 0;

  constructor(private readonly rules: DownloadRules) {}

  /** The session is closing: watches stop (its context's close ends the downloads themselves). */
  close(): void {
    this.closed = true;
  }

  /** Starts saving a download the page began (Playwright's `download` event). */
  take(download: Download): void {
    const url = download.url().slice(0, 200);
    const refusal =
      this.running.size >= MAX_RUNNING
        ? `${MAX_RUNNING} downloads are running already`
        : this.started >= MAX_PER_SESSION
          ? `this browser session started ${MAX_PER_SESSION} downloads already (browser_close starts afresh)`
          : undefined;
    if (refusal !== undefined) {
      void download.cancel().catch(() => undefined);
      this.say(`${url}: refused, ${refusal}`);
      return;
    }
    this.started += 1;
    const work = this.save(download, url).then(
      (saved) => {
        this.saved.push(saved);
        this.say(
          `saved ${saved.path} (${saved.bytes} bytes) from ${url}; its content is the page's (untrusted)`,
        );
      },
      (error: unknown) => {
        this.say(`${url}: not saved: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.running.set(work, url);
    void work.finally(() => this.running.delete(work));
  }

  /**
   * What happened to the downloads since the last report, after waiting (at most waitMs) for
   * the running ones; a download still running is reported as such, and its end later.
   */
  async report(): Promise<{ lines: string[]; saved: SavedDownload[] }> {
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(this.running.keys()),
        new Promise((done) => {
          timer = setTimeout(done, this.rules.waitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const lines = this.lines.splice(0, this.lines.length);
    for (const url of this.running.values()) lines.push(`${url}: still downloading (said when done)`);
    return { lines, saved: this.saved.splice(0, this.saved.length) };
  }

  /** Keeps a line for the next report; past MAX_LINES the oldest goes (the saved list keeps every path). */
  private say(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }

  private async save(download: Download, url: string): Promise<SavedDownload> {
    const { maxBytes } = this.rules;
    const workspace = this.workspace;
    const file = artifactOf(download, this.rules.folder);
    try {
      if (workspace === undefined || file === undefined) throw new Error('the browser kept no file for it');
      if (await this.overCap(download, file)) throw new DownloadCut();
      const failure = await download.failure();
      if (failure !== null) throw new Error(`the download failed (${failure})`);
      let bytes = 0;
      const path = await saveNewFile(workspace, {
        folders: [DOWNLOADS_DIR],
        name: safeFileName(download.suggestedFilename()),
        unique: true,
        policy: this.rules.policy,
        write: async (out) => {
          bytes = await copyCapped(file, maxBytes, (chunk) => out.writeFile(chunk));
        },
      });
      return { path, bytes, url };
    } catch (error) {
      if (error instanceof DownloadCut)
        throw new Error(
          `cut past ${maxBytes} bytes (tools.browser.max_download_mib) and removed; nothing was saved`,
        );
      throw error;
    } finally {
      // The browser's copy goes, whatever happened (Chromium removes a cancelled one itself).
      await download.delete().catch(() => undefined);
      if (file !== undefined)
        for (const left of [file, `${file}.crdownload`]) await rm(left, { force: true });
    }
  }

  /** Watches the running download's file; past the cap it is cancelled (true). */
  private async overCap(download: Download, file: string): Promise<boolean> {
    let finished = false;
    const ended = download.failure().then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    while (!finished && !this.closed) {
      const size = Math.max(await sizeOf(`${file}.crdownload`), await sizeOf(file));
      if (size > this.rules.maxBytes) {
        await download.cancel().catch(() => undefined);
        await ended;
        return true;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((done) => (timer = setTimeout(done, WATCH_MS).unref()))]);
      clearTimeout(timer);
    }
    if (!finished) throw new Error('the browser session closed before it ended');
    return false;
  }
}

const sizeOf = (path: string): Promise<number> =>
  stat(path).then(
    (info) => info.size,
    () => 0,
  );

/**
 * Where Chromium writes the download: `<browser folder>/<guid>`. Playwright names it only once
 * the download has ended (path()), so it is read from the download's artifact as Playwright
 * 1.x keeps it (`_artifact._initializer.absolutePath`); a path that is not in the browser's
 * folder, or none (a Playwright that moved it), saves nothing: the download is cancelled.
 * browser-tools.test.ts's saved download fails when that happens.
 */
function artifactOf(download: Download, folder: string): string | undefined {
  const inner = download as unknown as { _artifact?: { _initializer?: { absolutePath?: unknown } } };
  const path = inner._artifact?._initializer?.absolutePath;
  if (typeof path === 'string' && dirname(path) === folder) return path;
  void download.cancel().catch(() => undefined);
  return undefined;
}

/** Copies the finished file (opened no-follow, a regular file only) through `write`, at most `maxBytes`. */
async function copyCapped(
  path: string,
  maxBytes: number,
  write: (chunk: Uint8Array) => Promise<unknown>,
): Promise<number> {
  const file = await openForReading(path);
  try {
    if (!file.info.isFile()) throw new Error('the browser left something other than a file');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    for (;;) {
      const read = await file.read(buffer, 0, CHUNK_BYTES, total);
      if (read === 0) return total;
      total += read;
      if (total > maxBytes) throw new DownloadCut();
      await write(buffer.subarray(0, read));
    }
  } finally {
    file.close();
  }
}
