/**
 * Runner configuration: `runner.toml` (the operator's) and `users/<id>.toml` (one per user).
 * A user file may only restrict what the runner allows: a stronger isolation tier, lower
 * resource limits, capabilities switched off. The loader enforces that (checkUserRestricts).
 */
import { z } from 'zod';
import { once } from '../once.js';
import { configVersionSchema } from './agent-schema.js';

export const ISOLATION_TIERS = ['process', 'container', 'micro_vm'] as const;
export type IsolationTier = (typeof ISOLATION_TIERS)[number];

/** Higher is stronger isolation. */
export function tierStrength(tier: IsolationTier): number {
  return ISOLATION_TIERS.indexOf(tier);
}

const positiveInt = once(() => z.int().positive());

const resourceLimitsSchema = once(() =>
  z.strictObject({
    max_vcpus: positiveInt().optional().describe('CPU limit'),
    max_memory_mib: positiveInt().optional().describe('memory limit in MiB'),
    max_processes: positiveInt().optional().describe('process count limit'),
  }),
);

export const runnerConfigSchema = once(() =>
  z.strictObject({
    config_version: configVersionSchema().default('1.0.0').describe('config format version; major must be 1'),
    workspace_root: z
      .string()
      .min(1)
      .default('.oxydra/workspaces')
      .describe('where <root>/<user>/{shared,tmp,vault} are created'),
    default_tier: z
      .enum([...ISOLATION_TIERS, 'auto'])
      .default('process')
      .describe('isolation tier for users who do not pick one; auto: the strongest that works here'),
    restart: z
      .enum(['never', 'on_failure'])
      .default('never')
      .describe('on_failure: the daemon relaunches a guest that dies (at most 5 times a minute)'),
    guest_images: z
      .strictObject({
        oxydra_vm: z
          .string()
          .min(1)
          .optional()
          .describe(
            'runtime guest image (default: the one `oxydra runner image build` made for this oxydra)',
          ),
        shell_vm: z.string().min(1).default('shell-vm:latest').describe('shell/browser guest image'),
      })
      .prefault({}),
    /** Operator ceilings every user file must stay within. */
    limits: resourceLimitsSchema()
      .extend({
        shell_enabled: z.boolean().default(true).describe('users may have a shell'),
        browser_enabled: z.boolean().default(true).describe('users may have a browser'),
      })
      .prefault({}),
    users: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]+$/, 'user ids use letters, digits, - and _'),
        z.strictObject({ config_path: z.string().min(1).describe('the user file, relative to runner.toml') }),
      )
      .default({}),
  }),
);

export const userConfigSchema = once(() =>
  z.strictObject({
    mounts: z
      .strictObject({
        shared: z.string().min(1).optional().describe('host folder mounted as /shared'),
        tmp: z.string().min(1).optional().describe('host folder mounted as /tmp'),
        vault: z
          .string()
          .min(1)
          .optional()
          .describe('host folder mounted as /vault (read only through vault_copyto)'),
      })
      .optional(),
    resources: resourceLimitsSchema().optional(),
    credential_refs: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('name -> environment variable holding that credential'),
    behavior: z
      .strictObject({
        sandbox_tier: z
          .enum(ISOLATION_TIERS)
          .optional()
          .describe('equal to or stronger than the runner default_tier'),
        shell_enabled: z.boolean().optional().describe('false switches the shell off for this user'),
        browser_enabled: z.boolean().optional().describe('false switches the browser off for this user'),
        timezone: z.string().min(1).default('UTC').describe("the user's time zone"),
      })
      .prefault({}),
  }),
);

export type RunnerConfig = z.output<ReturnType<typeof runnerConfigSchema>>;
export type UserConfig = z.output<ReturnType<typeof userConfigSchema>>;
