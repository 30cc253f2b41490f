/**
 * Where a workspace's active persona is named (`oxydra persona use`): the store reads and writes
 * it, and a kernel looks for it before loading the store (agent-persona.ts).
 */
import { join } from 'node:path';

export function activePersonaFile(workspace: string): string {
  return join(workspace, '.oxydra', 'personas', '.active');
}
