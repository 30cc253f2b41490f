/**
 * How every CLI command loads the configuration: the loader, with workspace trust applied the
 * CLI's way. `--trust` trusts the workspace for this one command. In a terminal, the first time
 * a workspace sets keys that need trust, the user is shown exactly those keys and asked once;
 * elsewhere (CI, a client spawning us, a pipe) they are held back. Either way, what was held
 * back is said in one line on stderr, with the way to trust it.
 */
import type { LoadedConfig, LoadOptions, WorkspaceTrust } from '@oxydra/config';
import { visibleLine } from '@oxydra/types';
import { canAskApproval } from './approval.js';
import { trustFlagGiven } from './trust-flag.js';

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

function heldBackLine(trust: WorkspaceTrust): string {
  // A key is named by the workspace's files (a registry entry's name): written out, one line.
  const keys = [...new Set(trust.held.map((h) => visibleLine(h.key)))];
  const shown =
    keys.length > 4 ? `${keys.slice(0, 4).join(', ')} and ${keys.length - 4} more` : keys.join(', ');
  const why = trust.changed ? ' (they changed since you trusted it)' : '';
  return `oxydra: held back ${keys.length} setting${keys.length === 1 ? '' : 's'} of ${visibleLine(trust.workspace)}/.oxydra that need your trust${why}: ${shown}. Review and trust them with \`oxydra trust\`, or use --trust for one command.`;
}
