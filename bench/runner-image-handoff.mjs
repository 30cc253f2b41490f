#!/usr/bin/env node
// What the runner daemon spends finding its guest image, with and without the tag `runner start`
// hands it (OXYDRA_RUNNER_IMAGE, packages/runner/src/image/guest-image.ts): each sample a fresh
// Node process, as the daemon is, timing resolveGuestImage alone (the hash of this oxydra's
// files and `podman image inspect`, or neither), runs alternated. JSON on stdout. Needs podman
// (or OXYDRA_CONTAINER_ENGINE=docker) and this oxydra's guest image (`oxydra runner image build`).
// Usage: node bench/runner-image-handoff.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentGuestImageTag, detectContainerEngine, planRunner, resolveGuestImage } from '@oxydra/runner';
import { summarize } from './stats.mjs';

const SELF = [process.execPath, fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url))];
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, sample: { type: 'string' } },
});

if (values.sample !== undefined) {
  // One sample: in a process of its own, timed from the call.
  const detection = detectContainerEngine(process.env);
  if (!detection.ok) throw new Error(detection.problem);
  const plan = await planRunner({ cwd: values.sample, env: process.env });
  const started = performance.now();
  const image = await resolveGuestImage(plan, detection.engine, SELF, process.env);
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, image })}\n`);
} else {
  const project = mkdtempSync(join(tmpdir(), 'oxydra-bench-image-'));
  try {
    mkdirSync(join(project, '.oxydra/users'), { recursive: true });
    writeFileSync(
      join(project, '.oxydra/runner.toml'),
      'default_tier = "container"\n[users.alice]\nconfig_path = "users/alice.toml"\n',
    );
    writeFileSync(join(project, '.oxydra/users/alice.toml'), '');
    const tag = await currentGuestImageTag(SELF);
    const sample = (env) => {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--sample', project], {
        env,
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`sample failed: ${child.stderr}`);
      const { ms, image } = JSON.parse(child.stdout);
      if (image !== tag) throw new Error(`resolved ${image}, expected ${tag}`);
      return ms;
    };
    const { OXYDRA_RUNNER_IMAGE: _inherited, ...base } = process.env;
    const resolved = [];
    const handed = [];
    for (let run = 0; run < Number(values.runs); run++) {
      resolved.push(sample(base));
      handed.push(sample({ ...base, OXYDRA_RUNNER_IMAGE: tag }));
    }
    const result = {
      bench: 'runner-image-handoff',
      node: process.version,
      image: tag,
      resolved_by_the_daemon: summarize(resolved),
      handed_over: summarize(handed),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
