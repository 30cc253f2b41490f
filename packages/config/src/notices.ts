/**
 * Notices said once per workspace: a warning about a standing condition (Oxydra runs as root in
 * a root-owned workspace, say) helps the first time and is noise on every later run, where it
 * pushed the answer off the screen. `~/.config/oxydra/notices.json` remembers, per workspace
 * (real path), a hash of each notice already shown; a notice whose text changes is new again.
 * `oxydra doctor` reports the conditions every time. Best effort: a record that cannot be read
 * or written only means the notice is shown.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { userConfigDirectory } from './locations.js';

/** Workspaces remembered; the oldest are forgotten first (their notices are shown once more). */
const MAX_WORKSPACES = 500;

type NoticeFile = { version: 1; workspaces: Record<string, string[]> };

function noticeFilePath(env: NodeJS.ProcessEnv): string {
  return join(userConfigDirectory({ env, cwd: '/' }), 'notices.json');
}

function readNotices(path: string): NoticeFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<NoticeFile>;
    if (parsed.version === 1 && parsed.workspaces && typeof parsed.workspaces === 'object')
      return { version: 1, workspaces: parsed.workspaces };
  } catch {
    // missing or damaged: nothing remembered
  }
  return { version: 1, workspaces: {} };
}

/**
 * True the first time `message` is noticed for `workspace` (and records it), false afterwards.
 * True as well when the record cannot be kept, so a notice is never lost.
 */
export async function firstNotice(
  workspace: string,
  message: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  try {
    const key = realpathSync(workspace);
    const hash = createHash('sha256').update(message).digest('hex').slice(0, 32);
    const path = noticeFilePath(env);
    const file = readNotices(path);
    const seen = file.workspaces[key] ?? [];
    if (seen.includes(hash)) return false;
    delete file.workspaces[key];
    file.workspaces[key] = [...seen, hash].slice(-20);
    const keys = Object.keys(file.workspaces);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_WORKSPACES))) delete file.workspaces[old];
    await writeFileAtomic(path, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  } catch {
    // cannot remember: say it
  }
  return true;
}
