/**
 * A runner guest's policy, typed: what the runner decided about this user (shell or not, the OS
 * sandbox required or deliberately off, the vault, per-command limits) applied over the user's
 * own configuration. The runner hands these values to openKernel as they are; nothing is turned
 * into config strings and parsed back.
 */
import { detectSandbox } from '@oxydra/sandbox/detect';
import type { AgentConfig } from '@oxydra/types';

export interface GuestPolicy {
  /** Whether the user has a shell at all: false registers no shell_exec. */
  shell: boolean;
  /** "required": the OS sandbox must work (the process tier); "none": the container is the sandbox, or --insecure. */
  sandbox: 'required' | 'none';
  /** The user's vault folder (read only through vault_copyto). */
  vaultPath?: string;
  /** Bounds on each sandboxed command. */
  maxProcesses?: number;
  maxMemoryMib?: number;
}

/** The configuration with the policy's values over the user's. */
export function applyPolicy(config: AgentConfig, policy: GuestPolicy | undefined): AgentConfig {
  if (!policy) return config;
  const { tools } = config;
  const sandbox = { ...tools.sandbox };
  if (policy.shell) {
    // Required is not "auto": a process-tier guest never silently runs commands bare.
    const tier = detectSandbox().tier;
    sandbox.mode = policy.sandbox === 'none' ? 'none' : tier === 'none' ? 'bubblewrap' : tier;
    if (policy.maxProcesses !== undefined) sandbox.max_processes = policy.maxProcesses;
    if (policy.maxMemoryMib !== undefined) sandbox.max_memory_mib = policy.maxMemoryMib;
  }
  return {
    ...config,
    tools: {
      ...tools,
      shell: { ...tools.shell, enabled: policy.shell },
      sandbox,
      ...(policy.vaultPath !== undefined ? { vault_path: policy.vaultPath } : {}),
    },
  };
}
