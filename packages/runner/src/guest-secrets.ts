/**
 * A container guest's secrets (provider keys, the user's credential_refs, the gateway token):
 * one frame on the guest's stdin, right after it starts, never its environment. A container's
 * environment is readable by every process of its uid (/proc/<pid>/environ of the guest and of
 * the engine's init), and the guest's shell commands run as that uid.
 */
import type { Readable } from 'node:stream';
import { decodeFramePayload, encodeFrame, readFirstFrame } from '@oxydra/sandbox';
import { UsageError } from '@oxydra/types';
import { z } from 'zod';

const secretsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());

/** The frame of the variables `names` has values for in `env`. */
export function encodeGuestSecrets(names: readonly string[], env: NodeJS.ProcessEnv): Buffer {
  const values: Record<string, string> = {};
  for (const name of names) if (env[name] !== undefined) values[name] = env[name];
  return encodeFrame(values);
}

/** Reads the secrets frame from the guest's stdin. */
export async function readGuestSecrets(stream: Readable): Promise<Record<string, string>> {
  try {
    return secretsSchema.parse(decodeFramePayload(await readFirstFrame(stream)));
  } catch {
    // Never the payload: it is the secrets.
    throw new UsageError('cannot read the guest secrets frame from stdin', {
      hint: 'the guest is started by `oxydra runner start`; run that instead',
    });
  }
}
