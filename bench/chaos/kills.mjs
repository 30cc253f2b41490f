// bench/chaos.mjs: the gateways SIGKILLed one after another (round robin) and started again.
import { sleep } from '../deployment.mjs';

/**
 * Kills a gateway every `killEvery` seconds until `state.stopping` (or 5 s before the end), and
 * starts it again; each kill (and its restart's time or error) goes into `state.kills`.
 */
export async function killLoop(state, { deployment, gatewayCount, killEvery, log }) {
  let next = 0;
  let lastKill = Date.now();
  while (!state.stopping) {
    // Every killEvery seconds from the previous kill (a restart's time included).
    const wake = lastKill + killEvery * 1000;
    while (!state.stopping && Date.now() < wake) await sleep(200);
    if (state.stopping || Date.now() + 5000 > state.endAt) return;
    const index = next++ % gatewayCount;
    const at = Date.now();
    lastKill = at;
    await deployment.kill(index);
    log(`killed gateway ${index + 1} (SIGKILL) at ${((at - state.startedAt) / 1000).toFixed(1)} s`);
    const kill = { gateway: index + 1, at_s: (at - state.startedAt) / 1000 };
    state.kills.push(kill);
    const restartBegin = Date.now();
    try {
      await deployment.restart(index);
      kill.restart_ms = Date.now() - restartBegin;
    } catch (error) {
      kill.restart_error = String(error).slice(0, 500);
      log(`gateway ${index + 1} failed to restart: ${error}`);
    }
  }
}
