/**
 * The bootstrap envelope: validated on the runner's side before it is sent and on the guest's
 * side when it is read, as one length-prefixed frame on a stream or as a JSON file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type BootstrapEnvelope,
  EnvelopeError,
  encodeEnvelope,
  parseEnvelope,
  readEnvelopeFile,
  readEnvelopeFrame,
  startupStatusFor,
} from '@oxydra/runner';
import { encodeFrame } from '@oxydra/sandbox';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';

const valid: BootstrapEnvelope = {
  user_id: 'alice',
  sandbox_tier: 'process',
  workspace_root: '/srv/ws/alice',
  runtime_policy: {
    mounts: { shared: '/srv/ws/alice/shared', tmp: '/srv/ws/alice/tmp', vault: '/srv/ws/alice/vault' },
    resources: { max_processes: 64 },
    credential_refs: { openai: 'OPENAI_API_KEY' },
  },
  startup_status: startupStatusFor({
    tier: 'process',
    insecure: false,
    shellEnabled: true,
    browserEnabled: false,
  }),
};

describe('envelope validation', () => {
  it('accepts a complete envelope and a minimal one', () => {
    expect(parseEnvelope(valid)).toEqual(valid);
    expect(
      parseEnvelope({ user_id: 'bob', sandbox_tier: 'container', workspace_root: '/workspace' }),
    ).toEqual({
      user_id: 'bob',
      sandbox_tier: 'container',
      workspace_root: '/workspace',
    });
  });

  it.each([
    [{ ...valid, user_id: '  ' }, /user_id: user_id must not be empty/],
    [{ ...valid, workspace_root: '' }, /workspace_root/],
    [{ ...valid, sandbox_tier: 'vm' }, /sandbox_tier/],
    [
      { ...valid, runtime_policy: { ...valid.runtime_policy, mounts: { shared: '/s', tmp: '/t' } } },
      /runtime_policy\.mounts\.vault/,
    ],
    [{ ...valid, runtime_policy: { ...valid.runtime_policy, resources: { max_vcpus: 0 } } }, /max_vcpus/],
    [{ ...valid, sidecar_endpoint: { transport: 'tcp', address: 'x' } }, /sidecar_endpoint\.transport/],
    [{ ...valid, sidecar_endpoint: { transport: 'unix', address: ' ' } }, /sidecar_endpoint\.address/],
    [
      { ...valid, startup_status: { ...valid.startup_status!, sandbox_tier: 'container' } },
      /startup_status\.sandbox_tier "container" differs from sandbox_tier "process"/,
    ],
    [
      { ...valid, startup_status: { ...valid.startup_status!, sidecar_available: true } },
      /sidecar_available is true but there is no sidecar_endpoint/,
    ],
    [
      { ...valid, startup_status: { ...valid.startup_status!, browser_available: true } },
      /browser_available needs the sidecar/,
    ],
  ])('refuses an invalid envelope (%#)', (envelope, message) => {
    expect(() => parseEnvelope(envelope)).toThrow(EnvelopeError);
    expect(() => parseEnvelope(envelope)).toThrow(message);
  });

  it('will not encode an invalid envelope', () => {
    expect(() => encodeEnvelope({ ...valid, user_id: '' })).toThrow(EnvelopeError);
  });
});

describe('envelope transport', () => {
  it('round-trips as a 4-byte big-endian length + JSON frame and leaves the rest of the stream', async () => {
    const frame = encodeEnvelope(valid);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    const stdin = new PassThrough();
    // Split in two writes, with bytes of what follows right behind it.
    stdin.write(frame.subarray(0, 7));
    stdin.write(Buffer.concat([frame.subarray(7), Buffer.from('next')]));
    expect(await readEnvelopeFrame(stdin)).toEqual(valid);
    stdin.end();
    const rest: Buffer[] = [];
    for await (const chunk of stdin) rest.push(chunk as Buffer);
    expect(Buffer.concat(rest).toString()).toBe('next');
  });

  it('names the problem when stdin carries no envelope, a truncated one or bad JSON', async () => {
    const empty = new PassThrough();
    empty.end();
    await expect(readEnvelopeFrame(empty)).rejects.toThrow(
      /cannot read the bootstrap envelope from stdin: stream ended before a frame/,
    );
    const truncated = new PassThrough();
    truncated.end(encodeEnvelope(valid).subarray(0, 20));
    await expect(readEnvelopeFrame(truncated)).rejects.toThrow(/ended inside a frame/);
    const garbage = new PassThrough();
    const bytes = Buffer.from('{not json');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(bytes.length);
    garbage.end(Buffer.concat([prefix, bytes]));
    await expect(readEnvelopeFrame(garbage)).rejects.toThrow(EnvelopeError);
  });

  it('validates what arrives, not only what is sent', async () => {
    const stdin = new PassThrough();
    stdin.end(encodeFrame({ ...valid, sandbox_tier: 'none' }));
    await expect(readEnvelopeFrame(stdin)).rejects.toThrow(/invalid bootstrap envelope: sandbox_tier/);
  });

  it('reads the container tier envelope file', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-envelope-' });
    const dir = scratch.dir;
    try {
      writeFileSync(join(dir, 'runner_bootstrap.json'), JSON.stringify(valid));
      expect(await readEnvelopeFile(join(dir, 'runner_bootstrap.json'))).toEqual(valid);
      await expect(readEnvelopeFile(join(dir, 'missing.json'))).rejects.toThrow(
        /cannot read the bootstrap envelope file/,
      );
    } finally {
      scratch.cleanup();
    }
  });
});

describe('startup status', () => {
  it('reports --insecure and an unavailable browser as degraded reasons', () => {
    const status = startupStatusFor({
      tier: 'process',
      insecure: true,
      shellEnabled: true,
      browserEnabled: true,
    });
    expect(status).toMatchObject({
      sidecar_available: false,
      shell_available: true,
      browser_available: false,
    });
    expect(status.degraded_reasons.map((r) => r.code)).toEqual([
      'insecure_process_tier',
      'sidecar_unavailable',
    ]);
    expect(
      startupStatusFor({ tier: 'process', insecure: false, shellEnabled: false, browserEnabled: false }),
    ).toMatchObject({
      shell_available: false,
      degraded_reasons: [],
    });
  });
});
