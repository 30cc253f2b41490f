/** Checkpoint commit messages: meta as trailers, and `git log` output read back into checkpoints. */
import { type Checkpoint, CheckpointError } from './types.js';

// Trailers we write ourselves; meta keys may not use this prefix.
const RESERVED_PREFIX = 'checkpoint-';
export const TRAILER_CHANGED = 'Oxydra-Checkpoint-Changed';
export const TRAILER_SKIPPED = 'Oxydra-Checkpoint-Skipped';

// Fields NUL-separated; `-z` also NUL-terminates each record, so records are 4 fields each.
export const LOG_FORMAT = '%H%x00%P%x00%cI%x00%B';

export function encodeMeta(meta: Record<string, string>): string[] {
  return Object.entries(meta).map(([key, value]) => {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(key) || key.startsWith(RESERVED_PREFIX)) {
      throw new CheckpointError(
        `invalid checkpoint meta key ${JSON.stringify(key)}: use lowercase-with-dashes`,
      );
    }
    if (/[\r\n]/.test(value)) {
      throw new CheckpointError(`checkpoint meta value for "${key}" must be a single line`);
    }
    // kind → Oxydra-Kind, run-id → Oxydra-Run-Id: the conventional trailer look, losslessly.
    const token = key.replace(
      /(^|-)([a-z])/g,
      (_, dash: string, letter: string) => dash + letter.toUpperCase(),
    );
    return `Oxydra-${token}: ${value}`;
  });
}

export function formatMessage(message: string, trailers: string[]): string {
  return `${message}\n\n${trailers.join('\n')}\n`;
}

export function parseLog(fields: string[]): Checkpoint[] {
  const checkpoints: Checkpoint[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [id = '', parents = '', date = '', body = ''] = fields.slice(i, i + 4);
    const text = body.replace(/\n+$/, '');
    // We always write a trailer block, so the last paragraph is it, whatever the message holds.
    const cut = text.lastIndexOf('\n\n');
    const message = cut === -1 ? text : text.slice(0, cut);
    const meta: Record<string, string> = {};
    let changed = 0;
    let skipped: string[] = [];
    for (const line of cut === -1 ? [] : text.slice(cut + 2).split('\n')) {
      const match = /^Oxydra-([A-Za-z0-9-]+): ?(.*)$/.exec(line);
      if (!match) continue;
      const [, token = '', value = ''] = match;
      if (`Oxydra-${token}` === TRAILER_CHANGED) changed = Number(value) || 0;
      else if (`Oxydra-${token}` === TRAILER_SKIPPED) skipped = parseStringArray(value);
      else meta[token.toLowerCase()] = value;
    }
    const parent = parents.split(' ')[0];
    checkpoints.push({
      id,
      ...(parent ? { parent } : {}),
      message,
      meta,
      createdAt: new Date(date).toISOString(),
      skipped,
      changed,
    });
  }
  return checkpoints;
}

export function parseStringArray(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
