/**
 * A program's host requirements: executables it runs, looked up on PATH as a shell would. A
 * missing required one refuses the install (the program could not work); a missing optional one
 * is a warning, recorded so `oxydra programs list` keeps saying it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProgramManifest } from './manifest.js';

/** The executable's path on `PATH`, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export interface HostCheck {
  missingRequired: string[];
  missingOptional: string[];
}

export function checkHostRequirements(manifest: ProgramManifest, env: NodeJS.ProcessEnv): HostCheck {
  const missing = (names: string[]) => names.filter((name) => findExecutable(name, env) === undefined);
  return { missingRequired: missing(manifest.hostRequired), missingOptional: missing(manifest.hostOptional) };
}
