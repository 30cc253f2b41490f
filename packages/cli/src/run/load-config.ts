/**
 * How every CLI command loads the configuration: the loader, with workspace trust applied the
 * CLI's way. `--trust` trusts the workspace for this one command. In a terminal, the first time
 * a workspace sets keys that need trust, the user is shown exactly those keys and asked once;
 * elsewhere (CI, a client spawning us, a pipe) they are held back. Either way, what was held
 * back is said in one line on stderr, with the way to trust it.
 */
import { homedir } from 'node:os';
import { relative, resolve } from 'node:path';
import {
  findWorkspaceRoot,
  type LoadedConfig,
  type LoadOptions,
  misnamedEnvVariables,
  type WorkspaceTrust,
} from '@oxydra/config';
import { AGENT_CONFIG_SECTIONS, visibleLine } from '@oxydra/types';
import { canAskApproval } from './approval.js';
import { heldBackLine } from './held-back-line.js';

export interface CliLoadOptions extends LoadOptions {
  /** Ask in a terminal when the workspace is not trusted yet (off for commands that only report). */
  ask?: boolean;
}

export async function loadCliConfig(options: CliLoadOptions = {}): Promise<LoadedConfig> {
  const { loadAgentConfig } = await import('@oxydra/config');
  const { ask = true, ...loadOptions } = options;
  const mode = trustFlagGiven() ? 'this-run' : 'recorded';
  let loaded = await loadAgentConfig({ ...loadOptions, trust: mode });
  if (ask && loaded.trust.state === 'untrusted' && canAskApproval() && !process.env.CI) {
    const { askToTrust } = await import('./trust-prompt.js');
    if (await askToTrust(loaded.trust, loadOptions.env)) {
      loaded = await loadAgentConfig({ ...loadOptions, trust: mode });
    }
  }
  sayHeldBack(loaded.trust);
  return loaded;
}

const said = new Set<string>();

/** One line, once per workspace and process, naming what was held back and how to trust it. */
function sayHeldBack(trust: WorkspaceTrust, stderr: NodeJS.WritableStream = process.stderr): void {
  if (trust.state !== 'untrusted' && trust.state !== 'declined') return;
  if (said.has(trust.workspace)) return;
  said.add(trust.workspace);
  stderr.write(`${heldBackLine(trust)}\n`);
}

/**
 * `--trust`: the program-wide flag that trusts the workspace for this one command. Set by the
 * program's pre-action hook (main.ts), read by the configuration loader (loadCliConfig). Kept
 * in this process only: it is never passed on to child processes through the environment.
 */
let trustThisRun = false;

export function setTrustFlag(value: boolean): void {
  trustThisRun = value;
}

function trustFlagGiven(): boolean {
  return trustThisRun;
}

/**
 * The workspace of `oxydra run` / `oxydra chat`: the folder holding `.oxydra/`, found upwards
 * from the current one. When that is not the current folder, say so: the agent's tools work
 * from there, which a user in a subfolder should not have to guess. When it is the home folder
 * (one `oxydra run` in `~` leaves a `~/.oxydra/`), say that too: every project folder below
 * without its own `.oxydra/` is then worked on as part of the whole home folder.
 */

export function agentWorkspace(stderr: NodeJS.WritableStream = process.stderr): string {
  const cwd = process.cwd();
  const root = findWorkspaceRoot(cwd);
  if (root !== cwd) {
    // The folder names are anyone's (an archive's, a repository's): controls written out.
    const shown = visibleLine(root);
    const where = `(its .oxydra/ is ${visibleLine(relative(cwd, root))} from here)`;
    stderr.write(
      root === resolve(process.env.HOME || homedir())
        ? `workspace: your whole home folder ${shown} ${where}; for a workspace of this folder alone, run \`oxydra init\` here\n`
        : `workspace: ${shown} ${where}\n`,
    );
  }
  return root;
}

/**
 * A warning for each OXYDRA_ variable that looks like configuration but lacks the double
 * underscore (OXYDRA_RUNTIME__MAX_TURNS): such variables are ignored, which is otherwise silent.
 * Loaded only when some OXYDRA_ variable is set, so `--help` does not pay for the schema.
 */

export function warnAboutMisnamedVariables(env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): void {
  for (const { variable, meant } of misnamedEnvVariables(env, AGENT_CONFIG_SECTIONS)) {
    stderr.write(
      `warning: ${variable} is ignored: configuration variables start with OXYDRA__ (two underscores), e.g. ${meant}\n`,
    );
  }
}
