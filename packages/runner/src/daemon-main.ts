/**
 * The body of the `oxydra runner daemon` process: plan, launch, serve, and stay until asked to
 * stop (shutdown_user, SIGTERM or SIGINT). Resolves when everything it owned is stopped.
 */
import { RunnerDaemon } from './daemon.js';
import { resolveGuestImage } from './image/guest-image.js';
import { planRunner } from './plan.js';
import { chooseBackend } from './tiers/choose.js';

export interface DaemonMainOptions {
  configPath?: string;
  user?: string;
  insecure?: boolean;
  selfCommand: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export async function runDaemonMain(options: DaemonMainOptions): Promise<void> {
  const env = options.env ?? process.env;
  const plan = await planRunner({
    ...(options.configPath !== undefined ? { configPath: options.configPath } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    insecure: options.insecure ?? false,
    env,
  });
  let backend = chooseBackend({
    tier: plan.tier,
    insecure: plan.insecure,
    shellEnabled: plan.shellEnabled,
    env,
  });
  if (backend.kind === 'container') {
    // Usually handed over by the `runner start` that spawned this daemon (guest-image.ts).
    const image = await resolveGuestImage(plan, backend.engine, options.selfCommand, env);
    backend = { ...backend, image };
  }
  const daemon = new RunnerDaemon({ plan, backend, selfCommand: options.selfCommand, env });
  const onSignal = (signal: NodeJS.Signals) => void daemon.shutdown(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Detached from any terminal: a hangup is not a reason to stop.
  process.on('SIGHUP', () => {});
  try {
    await daemon.start();
  } catch (error) {
    await daemon.shutdown(`startup failed: ${(error as Error).message}`);
    throw error;
  }
  await daemon.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}
