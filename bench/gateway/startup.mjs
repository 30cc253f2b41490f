// bench/gateway.mjs section (a): start-up, spawn to the first /readyz 200, and the first start in
// a new workspace against `node -e 0`.
import { spawnSync } from 'node:child_process';
import { summarize } from '../stats.mjs';
import { startGateway } from './gateway-process.mjs';
import { round } from './setup.mjs';

export async function sectionA(bench, { starts }) {
  const startDir = bench.workspace('start');
  const readyTimes = [];
  for (let i = 0; i < starts + 1; i++) {
    const gateway = await startGateway(bench, startDir);
    if (i > 0) readyTimes.push(gateway.readyMs); // the first run creates the database
    await gateway.stop();
  }
  const ready = summarize(readyTimes);
  // The first start in a new workspace (its databases created, its state adopted), as a user
  // meets it, interleaved with `node -e 0` (the floor any Node process pays here).
  const freshTimes = [];
  const nodeTimes = [];
  for (let i = 0; i < starts; i++) {
    const gateway = await startGateway(bench, bench.workspace(`start-fresh-${i}`));
    freshTimes.push(gateway.readyMs);
    await gateway.stop();
    const began = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    nodeTimes.push(performance.now() - began);
  }
  const fresh = summarize(freshTimes);
  const floor = summarize(nodeTimes);
  const ratio = fresh.median_ms / floor.median_ms;
  return {
    a_startup_to_readyz: { ...ready, target: 'median <= 300 ms', meets_target: ready.median_ms <= 300 },
    a_fresh_workspace_startup: {
      ...fresh,
      node_e_0: floor,
      ratio_to_node_e_0: round(ratio),
      target: '<= 3x node -e 0',
      meets_target: ratio <= 3,
    },
  };
}
