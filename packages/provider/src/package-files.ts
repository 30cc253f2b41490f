/**
 * Files and dependencies of this package, found through the package's own name rather than
 * relative to the current module: the `oxydra` binary runs a bundle of all packages, where
 * `import.meta.url` points into the bundle, not into this package.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The folder of @oxydra/provider (holding package.json and data/). */
export function providerRoot(): string {
  root ??= dirname(createRequire(import.meta.url).resolve('@oxydra/provider/package.json'));
  return root;
}

/** A file shipped with the package, e.g. `data/models.json`. */
export function providerFile(relativePath: string): string {
  return join(providerRoot(), relativePath);
}

/** require() as if from this package, for its own CommonJS dependencies (gpt-tokenizer). */
export function providerRequire(id: string): unknown {
  return createRequire(join(providerRoot(), 'package.json'))(id);
}
