/**
 * Reading a character file (`.json` or `.toml`) that may have come from anywhere (a cloned
 * repository's `.oxydra/personas/`, a download): only a regular file, never a FIFO or a device
 * (opening one could block or read forever), never more than MAX_CHARACTER_BYTES, and, for the
 * persona folders, never through a symbolic link. Synchronous on purpose: a persona is resolved
 * inside the kernel's synchronous assembly, and every read here is bounded.
 */
import { lstatSync, statSync } from 'node:fs';
import { parseTomlText } from '@oxydra/config';
import { type CharacterFormat, ConfigError, characterFormat } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import { type ParsedCharacter, parseCharacter } from './character.js';

/** Character files larger than this are refused (real ones are a few KiB). */
export const MAX_CHARACTER_BYTES = 256 * 1024;

export interface CharacterFile extends ParsedCharacter {
  path: string;
  format: CharacterFormat;
  /** The file as written, unknown keys included: what an update changes and writes back. */
  raw: Record<string, unknown>;
  /** Changes when the file does (device, inode, size, modification time). */
  stamp: string;
}

/** What identifies this version of a file, or undefined when there is none. */
export function fileStamp(path: string, followLinks: boolean): string | undefined {
  try {
    const stat = followLinks ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return undefined;
  }
}

function refuse(path: string, why: string): never {
  throw new ConfigError(`${path}: ${why}`, { source: path });
}

/** The text of a regular file of at most MAX_CHARACTER_BYTES; ConfigError for anything else. */
export function readCharacterText(path: string, followLinks: boolean): string {
  const file = readSmallFile(path, { maxBytes: MAX_CHARACTER_BYTES, followLinks });
  if (file.ok) return file.bytes.toString('utf8');
  switch (file.problem) {
    case 'missing':
      return refuse(path, 'no such file');
    case 'link':
      return refuse(path, 'is a symbolic link; persona files must be regular files');
    case 'too-large':
      return refuse(
        path,
        `is ${file.size} bytes; character files are limited to ${MAX_CHARACTER_BYTES / 1024} KiB`,
      );
    default:
      return refuse(
        path,
        file.detail === 'is a directory'
          ? 'is a directory, expected a .json or .toml character file'
          : file.detail,
      );
  }
}

/** A character file's text as an object (not yet validated); ConfigError for bad syntax. */
export function parseCharacterObject(
  text: string,
  format: CharacterFormat,
  path: string,
): Record<string, unknown> {
  let raw: unknown;
  if (format === 'toml') raw = parseTomlText(text, path);
  else {
    try {
      raw = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      refuse(path, `invalid JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    refuse(path, 'the character must be a JSON object (or a TOML table)');
  }
  return raw as Record<string, unknown>;
}

/** Parses a character file's text by its format; ConfigError (one line) when it is not valid. */
export function parseCharacterText(
  text: string,
  format: CharacterFormat,
  path: string,
): { raw: Record<string, unknown> } & ParsedCharacter {
  const raw = parseCharacterObject(text, format, path);
  return { raw, ...parseCharacter(raw, path) };
}

/**
 * Reads and validates a character file. `followLinks` is for a path a person typed (a config
 * value, `--from`); the persona folders are read without following links.
 */
export function readCharacterFile(path: string, options: { followLinks: boolean }): CharacterFile {
  const format = characterFormat(path);
  if (format === undefined) refuse(path, 'a character file must end in .json or .toml');
  const stamp = fileStamp(path, options.followLinks) ?? '';
  const text = readCharacterText(path, options.followLinks);
  return { path, format, stamp, ...parseCharacterText(text, format, path) };
}
