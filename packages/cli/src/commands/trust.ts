/**
 * `oxydra trust [PATH]`: review the keys of a workspace's own `.oxydra/` that only its owner may
 * decide (plugins, MCP servers, provider addresses and keys, sandbox and gateway settings...) and
 * trust them, so they apply from then on. `--revoke` takes it back; `--list` shows every decision.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  discoverWorkspace,
  forgetDecision,
  loadAgentConfig,
  readTrustFile,
  recordDecision,
  trustFilePath,
} from '@oxydra/config';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { canAskApproval } from '../run/approval.js';
import { askToTrust, describeHeld } from '../run/trust-prompt.js';

export interface TrustFlags {
  yes?: boolean;
  revoke?: boolean;
  list?: boolean;
  json?: boolean;
  adoptState?: boolean;
}

export async function runTrust(path: string | undefined, flags: TrustFlags): Promise<number> {
  if (flags.list) return listDecisions(flags.json === true);
  const start = resolve(path ?? process.cwd());
  if (!existsSync(start))
    throw new UsageError(`${start}: no such folder`, { hint: 'give the folder of a workspace' });
  const workspace = discoverWorkspace(start).root;
  if (flags.adoptState) return adoptState(workspace);
  if (flags.revoke) {
    const forgot = await forgetDecision(workspace);
    process.stdout.write(
      forgot ? `${workspace} is no longer trusted\n` : `${workspace} had no trust decision to revoke\n`,
    );
    return EXIT_OK;
  }
  const { trust } = await loadAgentConfig({ cwd: workspace, trust: 'this-run' });
  if (trust.held.length === 0) {
    await recordDecision(workspace, [], 'trusted');
    process.stdout.write(`${workspace}: its .oxydra/ sets nothing that needs trust; recorded as trusted\n`);
    return EXIT_OK;
  }
  if (flags.yes) {
    process.stdout.write(`${describeHeld(trust)}\n`);
    await recordDecision(workspace, trust.held, 'trusted');
    process.stdout.write(`trusted ${workspace}: these settings apply from now on\n`);
    return EXIT_OK;
  }
  if (!canAskApproval()) {
    throw new UsageError(`cannot ask whether to trust ${workspace}: not a terminal`, {
      hint: `review with \`oxydra doctor\`, then run \`oxydra trust --yes ${workspace}\``,
    });
  }
  await askToTrust(trust);
  return EXIT_OK;
}

function listDecisions(json: boolean): number {
  const { workspaces } = readTrustFile();
  if (json) {
    process.stdout.write(`${JSON.stringify(workspaces, null, 2)}\n`);
    return EXIT_OK;
  }
  const entries = Object.entries(workspaces);
  if (entries.length === 0) {
    process.stdout.write(`no trust decisions yet (${trustFilePath()})\n`);
    return EXIT_OK;
  }
  for (const [path, entry] of entries.sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(`${entry.decision.padEnd(8)} ${path}  (${entry.at})\n`);
  }
  return EXIT_OK;
}

/**
 * Records the state an earlier Oxydra made (before state carried a record of its origin), or
 * that the user moved back after it was set aside, as this user's. Asks nothing: the user named
 * the folder and the flag. Another user's file or a link is refused (see state-origin.ts).
 */
async function adoptState(workspace: string): Promise<number> {
  const { adoptWorkspaceState, workspaceStatePaths } = await import('@oxydra/kernel/workspace');
  const { config } = await loadAgentConfig({ cwd: workspace });
  const paths = workspaceStatePaths(
    workspace,
    config.memory.remote_url ? undefined : resolve(workspace, config.memory.db_path),
  );
  let adopted = 0;
  for (const path of paths) {
    if (await adoptWorkspaceState(path)) {
      process.stdout.write(`adopted ${path}\n`);
      adopted++;
    }
  }
  if (adopted === 0)
    process.stdout.write(`${workspace}: no state to adopt (none, or all of it yours already)\n`);
  return EXIT_OK;
}
