/**
 * `oxydra/kernel` in the published package: the kernel, and the configuration loading a program
 * needs before it can open one (see docs/kernel.md).
 */

export { loadAgentConfig } from '@oxydra/config';
export * from '@oxydra/kernel';
export type { AgentConfig, AgentConfigInput } from '@oxydra/types';
export { agentConfigSchema } from '@oxydra/types/config-full';
