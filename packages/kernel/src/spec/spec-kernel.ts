/**
 * What a spec run needs of a kernel: its configuration and workspace, three services (exec for
 * `test:` criteria, checkpoints before each attempt, sessionAccess for the session it records
 * the run in) and spawn. Narrower than the Kernel facade, and written without it, so the scheduler service,
 * which holds these but not the facade, runs scheduled spec runs through the same runner as
 * every other host (and the kernel's facade, which names the scheduler, is not imported here).
 */
import type { PathPolicy } from '@oxydra/tools';
import type { AgentConfig } from '@oxydra/types';
import type { Exec } from '../services/exec.js';
import type { CheckpointCalls } from '../services/history/workspace-history.js';
import type { SessionAccess } from '../services/session-access.js';
import type { AgentHandle, SpawnSpec } from '../types.js';

export interface SpecKernel {
  readonly config: AgentConfig;
  readonly workspace: string;
  /** What `file:` and `json-schema:` may not reach, as for the file tools (the Kernel's filePolicy). */
  readonly filePolicy: PathPolicy;
  service(name: 'exec'): Promise<Exec>;
  service(name: 'checkpoints'): Promise<CheckpointCalls | undefined>;
  service(name: 'sessionAccess'): Promise<SessionAccess>;
  agents: { spawn(spec: SpawnSpec): AgentHandle };
}
