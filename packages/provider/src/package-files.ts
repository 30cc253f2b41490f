/**
 * Files of this package. From dist/ and in the published `oxydra` package
 * (whose bundle/ sits beside a copy of data/), data/ is one folder above the running module; in
 * a clone's CLI bundle it is not, and the package is found through its own name instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding data/ (and, but in the published package, this package's package.json). */
function providerRoot(): string {
  root ??=
    besideThisModule() ?? dirname(createRequire(import.meta.url).resolve('@oxydra/provider/package.json'));
  return root;
}

function besideThisModule(): string | undefined {
  const parent = fileURLToPath(new URL('..', import.meta.url));
  return existsSync(join(parent, 'data', 'models.json')) ? parent : undefined;
}

/** A file shipped with the package, e.g. `data/models.json`. */
export function providerFile(relativePath: string): string {
  return join(providerRoot(), relativePath);
}
