/**
 * How to run this same oxydra again: the absolute paths of the running node and of the entry
 * script, so a daemon it starts (the runner's) or a service unit it writes runs this very
 * installation whatever PATH the starter has.
 */
export function selfCommand(): string[] {
  return [process.execPath, process.argv[1]!];
}
