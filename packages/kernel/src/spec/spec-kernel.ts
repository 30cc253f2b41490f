/**
 * What a spec run needs of a kernel: its configuration and workspace, the sessions it records
 * the run in, its services (exec, checkpoints) and spawn. Narrower than the Kernel facade so the
 * scheduler service, which holds these but not the facade, runs scheduled spec runs through the
 * same runner as every other host.
 */
import type { Kernel } from '../kernel-api.js';

export type SpecKernel = Pick<Kernel, 'config' | 'workspace' | 'sessions' | 'service'> & {
  agents: Pick<Kernel['agents'], 'spawn'>;
};
