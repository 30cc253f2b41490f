/**
 * `--trust`: the program-wide flag that trusts the workspace for this one command. Set by the
 * program's pre-action hook (main.ts), read by the configuration loader (load-config.ts). Kept
 * in this process only: it is never passed on to child processes through the environment.
 */
let trustThisRun = false;

export function setTrustFlag(value: boolean): void {
  trustThisRun = value;
}

export function trustFlagGiven(): boolean {
  return trustThisRun;
}
