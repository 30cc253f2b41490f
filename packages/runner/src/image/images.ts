/**
 * The guest images an engine holds (`oxydra runner image list|prune`): only those tagged in
 * localhost/oxydra-guest, so prune never touches anyone else's images.
 */
import { spawnSync } from 'node:child_process';
import type { ContainerEngine } from '../tiers/container-engine.js';
import { GUEST_IMAGE_REPOSITORY } from './guest-files.js';

const ENGINE_TIMEOUT_MS = 60_000;

export interface GuestImage {
  /** `localhost/oxydra-guest:<version>-<hash>` */
  tag: string;
  id: string;
  size: string;
  created: string;
}

function engine(engine: ContainerEngine, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(engine.path, args, { encoding: 'utf8', timeout: ENGINE_TIMEOUT_MS });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: (result.stderr ?? '').trim() };
}

export function imageExists(target: ContainerEngine, tag: string): boolean {
  return engine(target, ['image', 'inspect', '--format', '{{.Id}}', tag]).ok;
}

export function listGuestImages(target: ContainerEngine): GuestImage[] {
  const format = '{{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}\t{{.CreatedSince}}';
  const result = engine(target, [
    'images',
    '--filter',
    `reference=${GUEST_IMAGE_REPOSITORY}`,
    '--format',
    format,
  ]);
  if (!result.ok) throw new Error(`${target.name} images failed: ${result.stderr.split('\n')[0]}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith(`${GUEST_IMAGE_REPOSITORY}:`))
    .map((line) => {
      const [tag = '', id = '', size = '', created = ''] = line.split('\t');
      return { tag, id, size, created };
    });
}

export interface PruneOutcome {
  removed: string[];
  /** Images the engine would not remove (a container still uses them), with its reason. */
  kept: { tag: string; reason: string }[];
}

/** Removes every guest image except `keep` (this oxydra's own, when it exists). */
export function pruneGuestImages(target: ContainerEngine, keep: string | undefined): PruneOutcome {
  const outcome: PruneOutcome = { removed: [], kept: [] };
  for (const image of listGuestImages(target)) {
    if (image.tag === keep) continue;
    const result = engine(target, ['rmi', image.tag]);
    if (result.ok) outcome.removed.push(image.tag);
    else outcome.kept.push({ tag: image.tag, reason: result.stderr.split('\n')[0] ?? 'unknown' });
  }
  return outcome;
}
