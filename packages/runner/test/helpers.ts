/** What the runner's unit tests share: fake programs on a PATH of their own, and argv lookups. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh folder per test for fake programs (`program` writes a shell script there), to be the
 * whole PATH of the detection under test.
 */
export function useFakeBin() {
  const bin = {
    dir: '',
    program(name: string, script: string): void {
      writeFileSync(join(bin.dir, name), `#!/bin/sh\n${script}\n`);
      chmodSync(join(bin.dir, name), 0o755);
    },
  };
  let folder: TempWorkspace;
  beforeEach(() => {
    folder = tempWorkspace({ prefix: 'oxydra-bin-' });
    bin.dir = folder.dir;
  });
  afterEach(() => folder.cleanup());
  return bin;
}

/** The value following `flag` each time it appears in an argv. */
export function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]!] : []));
}
