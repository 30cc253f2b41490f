/**
 * Files in chats, both ways, under the workspace file rules the file tools follow
 * (@oxydra/tools/workspace-files: no link followed, regular files only, never outside the
 * workspace nor into `.oxydra/`).
 *
 * In: a file a person sends is downloaded (refused past `max_file_bytes` without reading it
 * all), its declared type checked against its bytes' signature (file-type: a PNG named
 * "notes.txt", or a program declared as a PDF, is refused), and written, new and owner-only, to
 * `inbox/<channel>/<seq>-<safe name>` in the workspace, where the agent's file tools read it; the
 * prompt names the path. Out: an answer line `[[send_file: <path>]]` sends that workspace file as
 * an attachment (the line itself is not shown).
 */
import { basename } from 'node:path';
import {
  openRegularFile,
  type PathPolicy,
  readCapped,
  resolveVaultPath,
  resolveWorkspacePath,
  safeFileName,
  saveNewFile,
  vaultDenyPolicy,
} from '@oxydra/tools/workspace-files';
import { type ChannelAttachment, credentialIn, HOME_SECRET_FOLDERS, INBOX_DIR } from '@oxydra/types';

/** Telegram's own bound for a bot's download (getFile). */
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;
/** Files taken from one message, and sent with one answer, at most. */
export const MAX_FILES = 10;

/** A file refused, with the reason the person is told. */
export class FileRefused extends Error {
  override name = 'FileRefused';
}

export { safeFileName };

/**
 * Types whose files always begin with a signature file-type knows: a file declared as one whose
 * bytes show none is refused (SVG is text, so not here).
 */
const SIGNED = /^(image\/(?!svg)|audio\/|video\/|application\/(pdf|zip|gzip|x-7z-compressed|x-rar))/;
/** Spellings of one type that platforms and file-type use interchangeably. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'application/x-zip-compressed': 'application/zip',
  'audio/opus': 'audio/ogg',
};
const canonical = (type: string) => ALIASES[type] ?? type;

/**
 * The file's type as its bytes show it, checked against what the platform declared (a photo is a
 * JPEG on Telegram; "application/octet-stream" declares nothing). Throws FileRefused on a mismatch.
 */
export async function checkedType(
  bytes: Uint8Array,
  attachment: ChannelAttachment,
): Promise<{ mime: string; ext?: string }> {
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(bytes);
  let declared = attachment.mimeType?.toLowerCase().split(';')[0]?.trim() || undefined;
  if (declared === undefined && attachment.kind === 'photo') declared = 'image/jpeg';
  if (declared === 'application/octet-stream') declared = undefined;
  if (found && declared !== undefined && canonical(found.mime) !== canonical(declared)) {
    // A photo may be any image; anything else must be what it says.
    const bothImages = attachment.kind === 'photo' && found.mime.startsWith('image/');
    if (!bothImages) throw new FileRefused(`it is declared ${declared}, but its content is ${found.mime}`);
  }
  if (!found && declared !== undefined && SIGNED.test(declared)) {
    throw new FileRefused(`it is declared ${declared}, but its content does not start like one`);
  }
  if (found) return { mime: found.mime, ext: found.ext };
  return { mime: declared ?? 'application/octet-stream' };
}

/**
 * Writes `bytes` to `inbox/<channel>/<name>` in the workspace, as a new owner-only file (an
 * existing name, or a link anywhere on the way, is refused); resolves with the path relative to
 * the workspace.
 */
export function saveToInbox(
  workspace: string,
  channel: string,
  name: string,
  bytes: Uint8Array,
): Promise<string> {
  return saveNewFile(workspace, {
    folders: [INBOX_DIR, safeFileName(channel)],
    name,
    write: async (handle) => {
      await handle.writeFile(bytes);
    },
  });
}

/** What the file tools may not reach inside the workspace either: the vault, when there is one. */
export function filePolicy(workspace: string, vaultPath: string | undefined): PathPolicy {
  return vaultPath !== undefined ? vaultDenyPolicy(resolveVaultPath(vaultPath, workspace)) : {};
}

/**
 * A workspace file the answer sends: read by the file tools' rules (and `policy`), at most
 * `maxBytes`, and refused when it holds one of `secrets` (the kernel's secret policy: the keys and
 * tokens Oxydra holds), when it lies in a folder that holds other programs' keys
 * (HOME_SECRET_FOLDERS: `.ssh`, `.aws`, `.gnupg`), or when its content looks like a credential
 * Oxydra does not hold (@oxydra/types credentialIn: a private key, a password in a URL, a
 * `PASSWORD=`/`_authToken=` line). The path is the model's words, which a page it read can
 * dictate, and the file goes to the platform as it is: `[[send_file: .env]]` sent the provider key
 * the process uses to the chat, where every tool's output has it scrubbed.
 */
export async function readWorkspaceFile(
  workspace: string,
  path: string,
  maxBytes: number,
  policy: PathPolicy = {},
  secrets: readonly string[] = [],
): Promise<{ name: string; bytes: Uint8Array }> {
  const target = await resolveWorkspacePath(workspace, path, policy);
  const folder = target.relative
    .split(/[\\/]/)
    .find((part) => (HOME_SECRET_FOLDERS as readonly string[]).includes(part));
  if (folder !== undefined)
    throw new FileRefused(`${path} is in ${folder}, a folder that holds keys, so it is not sent`);
  const file = await openRegularFile(target, `${path} is a folder`);
  try {
    const tooLarge = () => new FileRefused(`${path} is larger than ${maxBytes} bytes`);
    if (file.info.size > maxBytes) throw tooLarge();
    const bytes = await readCapped(file.read, file.info.size, maxBytes, tooLarge);
    const held = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (secrets.some((secret) => secret !== '' && held.includes(secret))) {
      throw new FileRefused(`${path} holds a key or token Oxydra keeps secret, so it is not sent`);
    }
    const credential = credentialIn(held.toString('utf8'));
    if (credential !== undefined) {
      throw new FileRefused(`${path} looks like it holds a credential (${credential}), so it is not sent`);
    }
    return { name: safeFileName(basename(target.relative)), bytes };
  } finally {
    file.close();
  }
}

/**
 * One `[[send_file: <path>]]` line of an answer. The path begins and ends with a character that
 * is not a blank, so the blanks around it are matched one way only: a lazy path followed by
 * optional blanks backtracked over a run of them with the square of its length.
 */
const SEND_FILE = /^[ \t]*\[\[send_file:[ \t]*([^\]\s](?:[^\]\n]*[^\]\s])?)[ \t]*\]\][ \t]*$/gm;

/** The answer's text without its `[[send_file: …]]` lines, and the paths they name (at most MAX_FILES). */
export function answerFiles(text: string): { text: string; files: string[] } {
  const files: string[] = [];
  const rest = text.replace(SEND_FILE, (_line, path: string) => {
    if (files.length < MAX_FILES && !files.includes(path)) files.push(path);
    return '';
  });
  return { text: rest.replace(/\n{3,}/g, '\n\n').trim(), files };
}
