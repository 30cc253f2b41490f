/**
 * What a guest can do and why not (Oxydra's StartupStatusReport): computed by the runner
 * before launch, sent in the bootstrap envelope, and reported by `runner status`.
 */
import { ISOLATION_TIERS } from '@oxydra/types';
import { z } from 'zod';

export const DEGRADED_REASON_CODES = [
  'insecure_process_tier',
  'process_hardening_limited',
  'sidecar_unavailable',
  'sidecar_transport_unsupported',
  'sidecar_endpoint_invalid',
  'sidecar_connection_failed',
  'sidecar_protocol_error',
  'runtime_shutdown',
] as const;
export type DegradedReasonCode = (typeof DEGRADED_REASON_CODES)[number];

export const startupStatusSchema = z.object({
  sandbox_tier: z.enum(ISOLATION_TIERS),
  sidecar_available: z.boolean(),
  shell_available: z.boolean(),
  browser_available: z.boolean(),
  degraded_reasons: z
    .array(z.object({ code: z.enum(DEGRADED_REASON_CODES), detail: z.string() }))
    .default([]),
});
export type StartupStatus = z.output<typeof startupStatusSchema>;

export interface StartupFacts {
  tier: (typeof ISOLATION_TIERS)[number];
  insecure: boolean;
  shellEnabled: boolean;
  browserEnabled: boolean;
}

/**
 * The report for a guest about to start. No build runs a shell/browser sidecar yet: the shell
 * runs inside the guest itself (under bubblewrap in the process tier, or --insecure without),
 * and the browser, which needs the sidecar, is reported unavailable with the reason.
 */
export function startupStatusFor(facts: StartupFacts): StartupStatus {
  const status: StartupStatus = {
    sandbox_tier: facts.tier,
    sidecar_available: false,
    shell_available: facts.shellEnabled,
    browser_available: false,
    degraded_reasons: [],
  };
  if (facts.insecure) {
    status.degraded_reasons.push({
      code: 'insecure_process_tier',
      detail: '--insecure: the guest runs as a host process and its shell commands run without a sandbox',
    });
  }
  if (facts.browserEnabled) {
    status.degraded_reasons.push({
      code: 'sidecar_unavailable',
      detail: 'the browser needs the shell/browser sidecar, which this build does not provide',
    });
  }
  return status;
}
