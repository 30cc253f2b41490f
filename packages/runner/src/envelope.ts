/**
 * The bootstrap envelope (Oxydra's RunnerBootstrapEnvelope): everything a guest needs to know
 * from the runner, validated on both sides. Process tier: one length-prefixed JSON frame on
 * the guest's stdin. Container tier: a JSON file mounted read-only into the guest.
 *
 * One rule differs from Oxydra's: there, a shell needed the sidecar; here the shell runs inside
 * the guest (sandboxed), so only the browser and `sidecar_available` need a sidecar endpoint.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { decodeFramePayload, encodeFrame, readFirstFrame } from '@oxydra/sandbox';
import { ISOLATION_TIERS, UsageError } from '@oxydra/types';
import { z } from 'zod';
import { startupStatusSchema } from './startup-status.js';

const nonBlank = (what: string) => z.string().trim().min(1, `${what} must not be empty`);
const positiveInt = z.int().positive();

export const runtimePolicySchema = z.object({
  /** Host (process tier) or guest (container tier) paths of the user's folders. */
  mounts: z.object({ shared: nonBlank('shared'), tmp: nonBlank('tmp'), vault: nonBlank('vault') }),
  resources: z
    .object({
      max_vcpus: positiveInt.optional(),
      max_memory_mib: positiveInt.optional(),
      max_processes: positiveInt.optional(),
    })
    .default({}),
  credential_refs: z.record(nonBlank('credential name'), nonBlank('credential variable')).default({}),
});

export const bootstrapEnvelopeSchema = z
  .object({
    user_id: nonBlank('user_id'),
    sandbox_tier: z.enum(ISOLATION_TIERS),
    workspace_root: nonBlank('workspace_root'),
    sidecar_endpoint: z
      .object({ transport: z.enum(['unix', 'vsock']), address: nonBlank('sidecar_endpoint.address') })
      .optional(),
    runtime_policy: runtimePolicySchema.optional(),
    startup_status: startupStatusSchema.optional(),
  })
  .superRefine((envelope, ctx) => {
    const status = envelope.startup_status;
    if (!status) return;
    if (status.sandbox_tier !== envelope.sandbox_tier) {
      ctx.addIssue({
        code: 'custom',
        path: ['startup_status', 'sandbox_tier'],
        message: `startup_status.sandbox_tier "${status.sandbox_tier}" differs from sandbox_tier "${envelope.sandbox_tier}"`,
      });
    }
    if (status.sidecar_available && envelope.sidecar_endpoint === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['startup_status', 'sidecar_available'],
        message: 'sidecar_available is true but there is no sidecar_endpoint',
      });
    }
    if (status.browser_available && !status.sidecar_available) {
      ctx.addIssue({
        code: 'custom',
        path: ['startup_status', 'browser_available'],
        message: 'browser_available needs the sidecar, but sidecar_available is false',
      });
    }
  });

export type BootstrapEnvelope = z.output<typeof bootstrapEnvelopeSchema>;

/** A bad envelope: the guest cannot start. Exit code 2, one line naming the field. */
export class EnvelopeError extends UsageError {}

export function parseEnvelope(value: unknown): BootstrapEnvelope {
  const parsed = bootstrapEnvelopeSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new EnvelopeError(`invalid bootstrap envelope: ${field}${issue?.message ?? 'not an object'}`, {
    hint: 'the envelope is written by `oxydra runner start`; start the guest through the runner',
  });
}

/** The envelope as one length-prefixed frame, validated first (the runner's side). */
export function encodeEnvelope(envelope: z.input<typeof bootstrapEnvelopeSchema>): Buffer {
  return encodeFrame(parseEnvelope(envelope));
}

/** Reads and validates the envelope frame from a stream (the guest's stdin), leaving the rest. */
export async function readEnvelopeFrame(stream: Readable): Promise<BootstrapEnvelope> {
  let payload: unknown;
  try {
    payload = decodeFramePayload(await readFirstFrame(stream));
  } catch (error) {
    throw new EnvelopeError(`cannot read the bootstrap envelope from stdin: ${(error as Error).message}`, {
      hint: 'stdin must carry a 4-byte big-endian length and that many bytes of JSON',
    });
  }
  return parseEnvelope(payload);
}

/** Reads and validates an envelope JSON file (the container tier's bind-mounted file). */
export async function readEnvelopeFile(path: string): Promise<BootstrapEnvelope> {
  let payload: unknown;
  try {
    payload = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new EnvelopeError(`cannot read the bootstrap envelope file ${path}: ${(error as Error).message}`);
  }
  return parseEnvelope(payload);
}
