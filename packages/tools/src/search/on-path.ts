/** Finding a program on PATH: file_search asks for ripgrep, at creation only when configured to need it. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first `name` on PATH that is executable, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const directory of path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
