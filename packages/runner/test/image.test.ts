/**
 * The guest image's recipe without building it: the mmdebstrap argv, the thin layer's
 * Containerfile, what is copied from this checkout's own oxydra (the native libsql addon
 * included), the content tag, the one-line refusals when a tool is missing, and the tag
 * `runner start` hands its daemon (taken only when it is one this installation resolves to).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  baseImageTag,
  buildGuestImage,
  guestContainerfile,
  guestFiles,
  guestImageTag,
  hostSuite,
  imageHandoff,
  mmdebstrapArgs,
  planRunner,
  resolveGuestImage,
} from '@oxydra/runner';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { UsageError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useFakeBin } from './helpers.js';

const OXYDRA_BIN = resolve(import.meta.dirname, '../../cli/bin/oxydra.js');

describe('the guest image recipe', () => {
  it('builds a minbase root filesystem with only what node needs, as a tarball', () => {
    const args = mmdebstrapArgs({ suite: 'bookworm', output: '/w/rootfs.tar', rootless: false });
    expect(args).toContain('--variant=minbase');
    expect(args).toContain('--include=ca-certificates,libstdc++6');
    expect(args).toContain('--mode=root');
    expect(args).toContain('--format=tar');
    expect(args.slice(-2)).toEqual(['bookworm', '/w/rootfs.tar']);
    expect(
      mmdebstrapArgs({ suite: 'trixie', output: 'o', rootless: true, mirror: 'http://m/debian' }),
    ).toEqual(expect.arrayContaining(['--mode=unshare', 'trixie', 'o', 'http://m/debian']));
  });

  it('adds oxydra in a thin layer over the Debian one, with oxydra as the entrypoint', () => {
    expect(guestContainerfile('localhost/oxydra-guest-base:bookworm-x')).toBe(
      [
        'FROM localhost/oxydra-guest-base:bookworm-x',
        'COPY . /',
        'ENTRYPOINT ["/opt/oxydra/bin/oxydra.js"]',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        'WORKDIR /workspace',
        '',
      ].join('\n'),
    );
    expect(baseImageTag('bookworm')).toMatch(/^localhost\/oxydra-guest-base:bookworm-[0-9a-f]{12}$/);
    expect(baseImageTag('trixie')).not.toBe(baseImageTag('bookworm').replace('bookworm', 'trixie'));
  });

  it("copies this oxydra's launcher, bundle, model catalog and runtime packages, native addon included", async () => {
    const files = guestFiles([process.execPath, OXYDRA_BIN]);
    expect(files.entries.map((entry) => entry.to)).toEqual([
      'package.json',
      'bin',
      'bundle',
      'data/models.json',
    ]);
    const names = files.modules.map((module) => module.name);
    expect(names).toEqual(
      expect.arrayContaining(['libsql', '@libsql/client', 'hash-wasm', '@libsql/linux-x64-gnu']),
    );
    // Other platforms' addons are optional and absent; nothing bundled is copied twice.
    expect(names).not.toContain('@libsql/darwin-arm64');
    expect(new Set(names).size).toBe(names.length);
    const tag = await guestImageTag(files, 'recipe');
    expect(tag).toMatch(/^localhost\/oxydra-guest:0\.1\.0-[0-9a-f]{12}$/);
    expect(await guestImageTag(files, 'recipe')).toBe(tag);
    expect(await guestImageTag(files, 'another recipe')).not.toBe(tag);
  });

  it("reads the host's Debian release, and refuses another system with the flag to use", () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-os-' });
    const dir = scratch.dir;
    try {
      writeFileSync(join(dir, 'debian'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
      expect(hostSuite(join(dir, 'debian'))).toBe('bookworm');
      writeFileSync(join(dir, 'ubuntu'), 'ID=ubuntu\nVERSION_CODENAME=noble\n');
      expect(() => hostSuite(join(dir, 'ubuntu'))).toThrow(UsageError);
      expect(() => hostSuite(join(dir, 'ubuntu'))).toThrow(/not Debian/);
    } finally {
      scratch.cleanup();
    }
  });
});

describe('building without mmdebstrap', () => {
  let binFolder: TempWorkspace;
  let bin: string;
  beforeEach(() => {
    binFolder = tempWorkspace({ prefix: 'oxydra-bin-' });
    bin = binFolder.dir;
  });
  afterEach(() => binFolder.cleanup());

  it('refuses in one line naming the apt package', async () => {
    const podman = join(bin, 'podman');
    writeFileSync(podman, '#!/bin/sh\nexit 0\n');
    chmodSync(podman, 0o755);
    const build = buildGuestImage({
      engine: { name: 'podman', path: podman, globalArgs: [] },
      selfCommand: [process.execPath, OXYDRA_BIN],
      env: { PATH: bin },
      progress: () => {},
    });
    await expect(build).rejects.toThrow(UsageError);
    await expect(build).rejects.toMatchObject({
      message: 'building the guest image needs mmdebstrap, which is not on PATH',
      hint: 'install it: `sudo apt-get install mmdebstrap`',
    });
  });
});

describe('the guest image handed from `runner start` to its daemon', () => {
  const bin = useFakeBin();

  /**
   * A user's plan (guest_images.oxydra_vm = `configured`, if given), a podman that logs its
   * calls and has every image, and an installation of version 9.9.9 with no bundle: hashing its
   * files throws, so a test sees whether the tag was resolved or taken as handed over.
   */
  async function setup(configured?: string) {
    const calls = join(bin.dir, 'calls');
    bin.program('podman', `echo "$*" >> '${calls}'; exit 0`);
    const project = join(bin.dir, 'project');
    mkdirSync(join(project, '.oxydra/users'), { recursive: true });
    const images = configured ? `[guest_images]\noxydra_vm = "${configured}"\n` : '';
    writeFileSync(
      join(project, '.oxydra/runner.toml'),
      `default_tier = "container"\n${images}[users.alice]\nconfig_path = "users/alice.toml"\n`,
    );
    writeFileSync(join(project, '.oxydra/users/alice.toml'), '');
    const install = join(bin.dir, 'install');
    mkdirSync(join(install, 'bin'), { recursive: true });
    writeFileSync(join(install, 'package.json'), '{"version": "9.9.9"}');
    return {
      plan: await planRunner({ cwd: project, env: { PATH: bin.dir } }),
      engine: { name: 'podman' as const, path: join(bin.dir, 'podman'), globalArgs: [] },
      self: [process.execPath, join(install, 'bin/oxydra.js')],
      calls: () => (existsSync(calls) ? readFileSync(calls, 'utf8') : ''),
    };
  }

  it("puts the resolved tag in the daemon's environment, replacing an inherited one", () => {
    const env = { PATH: '/bin', OXYDRA_RUNNER_IMAGE: 'inherited' };
    expect(imageHandoff(env, 'localhost/oxydra-guest:1.0.0-0123456789ab')).toEqual({
      PATH: '/bin',
      OXYDRA_RUNNER_IMAGE: 'localhost/oxydra-guest:1.0.0-0123456789ab',
    });
    expect(imageHandoff(env, undefined)).toEqual({ PATH: '/bin' });
  });

  it("takes a tag of this installation's version without hashing or asking the engine", async () => {
    const { plan, engine, self, calls } = await setup();
    const tag = 'localhost/oxydra-guest:9.9.9-0123456789ab';
    expect(await resolveGuestImage(plan, engine, self, { OXYDRA_RUNNER_IMAGE: tag })).toBe(tag);
    expect(calls()).toBe('');
  });

  it('resolves as without it any other tag, so no string from the environment reaches the engine unchecked', async () => {
    const { plan, engine, self, calls } = await setup();
    for (const handed of [
      '',
      'docker.io/library/debian:9.9.9-0123456789ab',
      'localhost/oxydra-guest:1.0.0-0123456789ab',
      'localhost/oxydra-guest:9.9.9-0123456789AB',
      'localhost/oxydra-guest:9.9.9-0123456789abc',
      'localhost/oxydra-guest:9.9.9-0123456789ab --privileged',
      '--privileged',
    ]) {
      // Resolving hashes this installation's files: its missing bundle is the refusal.
      await expect(resolveGuestImage(plan, engine, self, { OXYDRA_RUNNER_IMAGE: handed })).rejects.toThrow(
        /cannot build the guest image: .*bundle is missing/,
      );
    }
    expect(calls()).toBe('');
  });

  it('takes only the configured image when runner.toml names one', async () => {
    const { plan, engine, self, calls } = await setup('registry.example/guest:7');
    const env = (tag: string) => ({ OXYDRA_RUNNER_IMAGE: tag });
    expect(await resolveGuestImage(plan, engine, self, env('registry.example/guest:7'))).toBe(
      'registry.example/guest:7',
    );
    expect(calls()).toBe('');
    // Another tag, even one of this installation's: the configured image, checked with the engine.
    expect(
      await resolveGuestImage(plan, engine, self, env('localhost/oxydra-guest:9.9.9-0123456789ab')),
    ).toBe('registry.example/guest:7');
    expect(calls()).toBe('image inspect --format {{.Id}} registry.example/guest:7\n');
  });
});
