/**
 * Before any test: rebuild the CLI bundle from the compiled packages, so tests that spawn the
 * real `oxydra` binary never run a bundle older than the code (tsc -b runs first in npm test).
 */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain ESM script without type declarations.
  const { bundleCli } = (await import('./bundle-cli.mjs')) as { bundleCli: () => Promise<void> };
  await bundleCli();
}
