/** The GGUF files in the local models folder (what `oxydra models pull` fetched), for `models list`. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalModelFile {
  /** What `model = "<name>"` names it by. */
  name: string;
  path: string;
  bytes: number;
}

export async function listLocalModels(dir: string): Promise<LocalModelFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: LocalModelFile[] = [];
  for (const name of names.filter((file) => file.endsWith('.gguf')).sort()) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push({ name, path, bytes: info.size });
  }
  return files;
}

export function formatLocalModels(dir: string, files: readonly LocalModelFile[]): string {
  if (files.length === 0) return `no local models in ${dir} (fetch one with \`oxydra models pull <url>\`)\n`;
  const width = Math.max(...files.map((file) => file.name.length));
  const rows = files.map(
    (file) => `${file.name.padEnd(width)}  ${(file.bytes / 1_000_000).toFixed(1).padStart(8)} MB`,
  );
  return `${rows.join('\n')}\n\n${files.length} local model${files.length === 1 ? '' : 's'} in ${dir}\n`;
}
