/**
 * `oxydra runner image build`: the container tier's guest image, made offline from Debian's own
 * repositories (no registry): mmdebstrap makes a minimal root filesystem of the host's release,
 * which the engine imports as a base (kept: it changes only with the release); a thin layer over
 * it adds the copied Node and oxydra, tagged with a hash of its content. Nothing here runs a
 * shell: every program gets an argv.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import type { ContainerEngine } from '../tiers/container-engine.js';
import { engineDialect } from '../tiers/engine-dialect.js';
import { findOnPath } from '../tiers/find-program.js';
import {
  copyInstallation,
  GUEST_IMAGE_REPOSITORY,
  GUEST_OXYDRA_BIN,
  GUEST_OXYDRA_DIR,
  type GuestFiles,
  guestFiles,
  guestImageTag,
} from './guest-files.js';
import { imageExists } from './images.js';

/** Debian packages the guest needs beyond minbase: Node's C++ runtime and TLS roots. */
const GUEST_PACKAGES = ['ca-certificates', 'libstdc++6'] as const;

/**
 * Node is execute-only in the image: a process that runs a binary it cannot read is not
 * "dumpable", so the guest's /proc/<pid>/environ, memory and ptrace are closed to the shell
 * commands it runs as the same uid (they run a readable /bin/sh, and stay dumpable).
 */
const NODE_MODE = 0o711;

export interface BuildRequest {
  engine: ContainerEngine;
  selfCommand: readonly string[];
  /** Debian release (default: the host's, from /etc/os-release). */
  suite?: string;
  /** A Debian mirror URL (default: mmdebstrap's, deb.debian.org). */
  mirror?: string;
  /** Rebuild even when the tag exists. */
  force?: boolean;
  progress: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface BuildOutcome {
  tag: string;
  built: boolean;
}

/** The host's Debian codename, or a one-line error naming --suite. */
export function hostSuite(osRelease = '/etc/os-release'): string {
  let text = '';
  try {
    text = readFileSync(osRelease, 'utf8');
  } catch {
    // Not Linux, or no os-release: fall through to the error.
  }
  const codename = /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(text)?.[1];
  if (!codename || !/^ID="?debian"?$/m.test(text)) {
    throw new UsageError(
      'cannot tell which Debian release to build the guest image from (this host is not Debian)',
      {
        hint: 'pass --suite bookworm (or another Debian release)',
      },
    );
  }
  return codename;
}

/** mmdebstrap, or a one-line error naming its apt package. */
function requireMmdebstrap(env: NodeJS.ProcessEnv): string {
  const path = findOnPath('mmdebstrap', env);
  if (path === undefined) {
    throw new UsageError('building the guest image needs mmdebstrap, which is not on PATH', {
      hint: 'install it: `sudo apt-get install mmdebstrap`',
    });
  }
  return path;
}

/** The mmdebstrap argv: minbase + GUEST_PACKAGES, as a tarball for `import`. */
export function mmdebstrapArgs(options: {
  suite: string;
  mirror?: string;
  output: string;
  rootless: boolean;
}): string[] {
  return [
    '--variant=minbase',
    `--include=${GUEST_PACKAGES.join(',')}`,
    // As root it chroots directly; otherwise in a user namespace of the caller's subordinate ids.
    `--mode=${options.rootless ? 'unshare' : 'root'}`,
    '--format=tar',
    // Documentation and translations: a guest never reads them.
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    // Mount points of the read-only root, and no package lists left behind.
    '--customize-hook=mkdir -p "$1/workspace" && rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
    options.suite,
    options.output,
    ...(options.mirror ? [options.mirror] : []),
  ];
}

/** The Dockerfile-style changes `import` applies: the entrypoint is the image's oxydra. */
function importChanges(): string[] {
  return [
    `ENTRYPOINT ["${GUEST_OXYDRA_BIN}"]`,
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    'WORKDIR /workspace',
  ];
}

/**
 * What the tag hashes besides the copied files. Not the Debian release: the runner finds its
 * image by this tag on any host, and a build for another release is asked for with --force.
 */
export function guestImageRecipe(): string {
  return JSON.stringify({
    packages: GUEST_PACKAGES,
    changes: importChanges(),
    nodeMode: NODE_MODE.toString(8),
  });
}

function stageFiles(files: GuestFiles, stage: string): void {
  mkdirSync(join(stage, 'usr/local/bin'), { recursive: true });
  cpSync(files.node, join(stage, 'usr/local/bin/node'));
  chmodSync(join(stage, 'usr/local/bin/node'), NODE_MODE);
  copyInstallation(files, join(stage, GUEST_OXYDRA_DIR.slice(1)));
}

/** Runs a program, its output lines to `progress`; rejects with its last line on failure. */
function runStep(program: string, args: string[], progress: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const onData = (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        last = line.trim();
        progress(`  ${last}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${program} failed (exit code ${code}): ${last.slice(0, 300)}`));
    });
  });
}

/** The Debian layer's tag: rebuilt only when the release or the package list changes. */
export function baseImageTag(suite: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ suite, packages: GUEST_PACKAGES }))
    .digest('hex');
  return `${GUEST_IMAGE_REPOSITORY}-base:${suite}-${hash.slice(0, 12)}`;
}

/** The Containerfile of the thin layer over the Debian one: this oxydra and its Node. */
export function guestContainerfile(base: string): string {
  return [`FROM ${base}`, 'COPY . /', ...importChanges()].join('\n') + '\n';
}

async function buildBase(
  request: BuildRequest,
  mmdebstrap: string,
  suite: string,
  work: string,
): Promise<string> {
  const base = baseImageTag(suite);
  if (!request.force && imageExists(request.engine, base)) {
    request.progress(`reusing the Debian ${suite} layer ${base}`);
    return base;
  }
  const output = join(work, 'rootfs.tar');
  request.progress(`building a Debian ${suite} root filesystem with mmdebstrap (a few minutes)...`);
  const rootless = process.geteuid?.() !== 0;
  const args = mmdebstrapArgs({
    suite,
    output,
    rootless,
    ...(request.mirror ? { mirror: request.mirror } : {}),
  });
  await runStep(mmdebstrap, args, request.progress);
  request.progress(`importing it into ${request.engine.name} as ${base}...`);
  await runStep(
    request.engine.path,
    [...request.engine.globalArgs, 'import', output, base],
    request.progress,
  );
  return base;
}

export async function buildGuestImage(request: BuildRequest): Promise<BuildOutcome> {
  const env = request.env ?? process.env;
  const mmdebstrap = requireMmdebstrap(env);
  const suite = request.suite ?? hostSuite();
  const files = guestFiles(request.selfCommand);
  request.progress(`hashing oxydra ${files.version} and node ${process.version}...`);
  const tag = await guestImageTag(files, guestImageRecipe());
  if (!request.force && imageExists(request.engine, tag)) return { tag, built: false };

  const work = mkdtempSync(join(tmpdir(), 'oxydra-image-'));
  try {
    const base = await buildBase(request, mmdebstrap, suite, work);
    const stage = join(work, 'stage');
    stageFiles(files, stage);
    writeFileSync(join(work, 'Containerfile'), guestContainerfile(base));
    request.progress(`adding this oxydra and node as ${tag}...`);
    const { engine } = request;
    await runStep(
      engine.path,
      [
        ...engine.globalArgs,
        'build',
        ...engineDialect(engine).buildArgs,
        '-f',
        join(work, 'Containerfile'),
        '-t',
        tag,
        stage,
      ],
      request.progress,
    );
    return { tag, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
