/**
 * Runner configuration: `runner.toml` (the operator's) and `users/<id>.toml` (one per user).
 * A user file may only restrict what the runner allows: a stronger isolation tier, lower
 * resource limits, capabilities switched off. The loader enforces that (see checkUserRestricts).
 */
import { z } from 'zod';
import { configVersionSchema } from './agent-schema.js';

export const ISOLATION_TIERS = ['process', 'container', 'micro_vm'] as const;
export type IsolationTier = (typeof ISOLATION_TIERS)[number];

/** Higher is stronger isolation. */
export function tierStrength(tier: IsolationTier): number {
  return ISOLATION_TIERS.indexOf(tier);
}

const positiveInt = z.int().positive();

const resourceLimitsSchema = z.strictObject({
  max_vcpus: positiveInt.optional(),
  max_memory_mib: positiveInt.optional(),
  max_processes: positiveInt.optional(),
});

export const runnerConfigSchema = z.strictObject({
  config_version: configVersionSchema.default('1.0.0'),
  workspace_root: z.string().min(1).default('.oxydra/workspaces'),
  default_tier: z.enum(ISOLATION_TIERS).default('process'),
  guest_images: z
    .strictObject({
      oxydra_vm: z.string().min(1).default('oxydra-vm:latest'),
      shell_vm: z.string().min(1).default('shell-vm:latest'),
    })
    .prefault({}),
  /** Operator ceilings every user file must stay within. */
  limits: resourceLimitsSchema
    .extend({
      shell_enabled: z.boolean().default(true),
      browser_enabled: z.boolean().default(true),
    })
    .prefault({}),
  users: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]+$/, 'user ids use letters, digits, - and _'),
      z.strictObject({ config_path: z.string().min(1) }),
    )
    .default({}),
});

export const userConfigSchema = z.strictObject({
  mounts: z
    .strictObject({
      shared: z.string().min(1).optional(),
      tmp: z.string().min(1).optional(),
      vault: z.string().min(1).optional(),
    })
    .optional(),
  resources: resourceLimitsSchema.optional(),
  credential_refs: z.record(z.string().min(1), z.string().min(1)).default({}),
  behavior: z
    .strictObject({
      sandbox_tier: z.enum(ISOLATION_TIERS).optional(),
      shell_enabled: z.boolean().optional(),
      browser_enabled: z.boolean().optional(),
      timezone: z.string().min(1).default('UTC'),
    })
    .prefault({}),
});

export type RunnerConfig = z.output<typeof runnerConfigSchema>;
export type UserConfig = z.output<typeof userConfigSchema>;
