/**
 * A concurrent writer for race tests: flips a folder between itself and a symbolic link to
 * somewhere else on every turn of the event loop, so every await of a tool under test (each a
 * thread-pool round trip) may find either. Its flips are synchronous, so between them the test's
 * own synchronous code sees one consistent state.
 */
import { existsSync, lstatSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';

export interface Swapper {
  /** Where the real folder is right now (its own path, or the parked one while linked). */
  readonly realDir: string;
  /** Stops flipping and puts the real folder back; returns how many flips were made. */
  stop(): Promise<number>;
}

export function startSwapper(dir: string, linkTarget: string): Swapper {
  const parked = `${dir}.parked`;
  let running = true;
  let flips = 0;
  const linked = () => lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  // A tool under test may create `dir` again in the instant it is missing (making missing
  // folders is its job, and it runs on other threads): that new folder is cleared away.
  const retrying = (step: () => void) => {
    try {
      step();
    } catch (error) {
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      rmSync(dir, { recursive: true, force: true });
      step();
    }
  };
  const flip = () => {
    if (linked()) {
      unlinkSync(dir);
      retrying(() => renameSync(parked, dir));
    } else {
      renameSync(dir, parked);
      retrying(() => symlinkSync(linkTarget, dir));
    }
    flips += 1;
  };
  const loop = () => {
    if (!running) return;
    try {
      flip();
    } catch {
      // The folder itself was removed (a tool under test deleted its parent): nothing to flip.
      running = false;
      return;
    }
    setImmediate(loop);
  };
  setImmediate(loop);
  return {
    get realDir() {
      return existsSync(parked) ? parked : dir;
    },
    async stop() {
      running = false;
      await new Promise((resolve) => setImmediate(resolve));
      if (linked() && existsSync(parked)) flip();
      return flips;
    },
  };
}

/**
 * One turn of the event loop, for the swapper to flip in. A tool call refused by the synchronous
 * path check (the folder is a link right now) settles without ever reaching the event loop, so
 * the attempts loops yield once per attempt: each attempt may start from either state.
 */
export const loopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
