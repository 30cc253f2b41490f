/**
 * Whose a user's container is. Its name (`oxydra-container-<user>-runtime`, the original
 * Oxydra's naming) is one per user on the machine, not per project: two projects each running a
 * guest for user "alice" would want the same name, and a start force-removes a container of its
 * name (one a crashed runner left). Without this, starting alice's runner in project B killed
 * her running guest in project A. Each guest is labelled with its project folder, and a start
 * refuses while a running container of its name carries another project's label. A container
 * without the label (made by an older build) or not running is a leftover: removed as before.
 */
import { spawnSync } from 'node:child_process';
import { UsageError } from '@oxydra/types';
import type { ContainerEngine } from './container-engine.js';

/** The label holding the project folder a guest belongs to (beside org.oxydra.user). */
export const CONTAINER_LABEL_PROJECT = 'org.oxydra.project';

/** The project folder a running container of this name belongs to, if it carries one. */
function runningContainerProject(engine: ContainerEngine, name: string): string | undefined {
  const inspected = spawnSync(
    engine.path,
    [
      ...engine.globalArgs,
      'inspect',
      '--format',
      `{{.State.Running}}\t{{index .Config.Labels "${CONTAINER_LABEL_PROJECT}"}}`,
      name,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (inspected.status !== 0) return undefined;
  const [running, project = ''] = inspected.stdout.trim().split('\t');
  if (running !== 'true' || project === '' || project === '<no value>') return undefined;
  return project;
}

/** Refuses (a usage error naming both projects and the fix) when another project's guest holds `name`. */
export function refuseContainerOfAnotherProject(
  engine: ContainerEngine,
  name: string,
  userId: string,
  projectDir: string,
): void {
  const holder = runningContainerProject(engine, name);
  if (holder === undefined || holder === projectDir) return;
  throw new UsageError(
    `user ${userId}'s container ${name} is running for another project (${holder}); one user's guest runs in one project at a time on this machine`,
    {
      hint: `stop it there (cd ${holder} && oxydra runner stop --user ${userId}), or give this project's user another id`,
    },
  );
}
