/**
 * Where the web dashboard's built files are. In the published `oxydra` package they sit in web/
 * beside the bundle/ folder this code runs from (scripts/pack-oxydra.mjs puts them there). In a
 * clone they are @oxydra/web's dist/ folder, found through Node's resolution of
 * `@oxydra/web/package.json` (the gateway, a lower layer, cannot import it; and the CLI runs from
 * dist/ or from its rolldown bundle, whose `import.meta.url`s differ, so a path relative to this
 * file would be wrong in one of them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebRoot {
  /** The folder to serve (may not exist yet: the gateway then answers / with "run npm run build"). */
  path: string;
  /** Whether index.html is there. */
  built: boolean;
}

export function webDashboardRoot(from: string = import.meta.url): WebRoot | undefined {
  const packaged = fileURLToPath(new URL('../web/', from));
  if (existsSync(join(packaged, 'index.html'))) return { path: packaged, built: true };
  let packageJson: string;
  try {
    packageJson = createRequire(from).resolve('@oxydra/web/package.json');
  } catch {
    return undefined;
  }
  const path = join(dirname(packageJson), 'dist');
  return { path, built: existsSync(join(path, 'index.html')) };
}
