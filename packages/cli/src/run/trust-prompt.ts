/**
 * Showing what a workspace's trust would let through, and asking. Used by the first run in a
 * terminal (load-config.ts) and by `oxydra trust`; both record the answer the same way.
 */
import { relative } from 'node:path';
import { recordDecision, showHeldValue, type WorkspaceTrust } from '@oxydra/config';
import { visibleLine } from '@oxydra/types';
import { askOnce } from './approval.js';

/**
 * The held keys, one per line with why and where, for a person to read before trusting. The
 * keys and values are the workspace's own text: every control, bidi override and line break in
 * them is written out (`\u202e`), so a base_url cannot read as another host and a key cannot
 * redraw or add lines to the question it is asked in.
 */
export function describeHeld(trust: WorkspaceTrust): string {
  const count = trust.held.length;
  const yours = trust.held.filter((held) => held.yours).length;
  // Your own plugin or server held for where it resolves is not something .oxydra sets.
  const whose =
    yours === 0
      ? `${visibleLine(trust.workspace)}/.oxydra sets ${count} thing${count === 1 ? '' : 's'}`
      : `${visibleLine(trust.workspace)} holds ${count} thing${count === 1 ? '' : 's'} (${yours} of your own configuration, resolved or started inside it)`;
  const lines = [
    `${whose} that only you may decide${trust.changed ? ' (changed since you last decided)' : ''}:`,
  ];
  for (const held of trust.held) {
    lines.push(`  ${visibleLine(held.key)} = ${visibleLine(showHeldValue(held))}`);
    lines.push(`      ${held.why} (${visibleLine(relative(trust.workspace, held.source) || held.source)})`);
  }
  return lines.join('\n');
}

/** Ask once; the answer is recorded (yes: trusted, no: declined, so it is not asked again). */
export async function askToTrust(
  trust: WorkspaceTrust,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  process.stderr.write(`${describeHeld(trust)}\n`);
  const answer = await askOnce(
    `Trust ${visibleLine(trust.workspace)}? Say yes only if you trust whoever wrote this folder. [y/N] `,
  );
  if (answer === undefined) return false;
  const yes = /^\s*y(es)?\s*$/i.test(answer);
  await recordDecision(trust.workspace, trust.held, yes ? 'trusted' : 'declined', env);
  process.stderr.write(
    yes
      ? `trusted ${trust.workspace}: these settings apply from now on (\`oxydra trust --revoke\` takes it back)\n`
      : `not trusted: these settings stay held back (\`oxydra trust\` to change your mind)\n`,
  );
  return yes;
}
