/**
 * Doctor's check of a deployment of several gateway processes on PostgreSQL: the event bus
 * they tell each other things over answers a round trip (LISTEN/NOTIFY on the store's own
 * server), and which gateway processes are live on the store now (their beats). Only with
 * [store] backend = "postgres"; the store check before it says whether the server answers.
 */
import { hostname } from 'node:os';
import type { AgentConfig } from '@oxydra/types';
import { formatError } from '../exit.js';
import type { Check } from './doctor-check.js';

/** A process live within this long is listed (the gateways beat every second). */
const LIVE_MS = 10_000;

export async function deploymentCheck(config: AgentConfig): Promise<Check | undefined> {
  const { openPostgres, storeChoice } = await import('../run/store-choice.js');
  const choice = storeChoice(config);
  if (choice.backend !== 'postgres') return undefined;
  let stores: Awaited<ReturnType<typeof openPostgres>>;
  try {
    stores = await openPostgres(choice, { migrate: false });
  } catch {
    return undefined; // the store check says why
  }
  try {
    const bus = await stores.openBus(`doctor-${hostname()}-${process.pid}`);
    try {
      await bus.check();
    } finally {
      await bus.close();
    }
    const live = await stores.cluster.processes(LIVE_MS);
    const names = live.map((p) => `${p.host} pid ${p.pid}${p.url ? ` (${p.url})` : ''}`);
    return {
      name: 'deployment',
      status: 'ok',
      detail: `event bus (LISTEN/NOTIFY on the store's server) answers; ${
        live.length === 0
          ? 'no gateway process is running'
          : `${live.length} gateway process(es) live: ${names.join(', ')}`
      }`,
    };
  } catch (error) {
    return {
      name: 'deployment',
      status: 'fail',
      detail: `the event bus on the store's server does not answer: ${formatError(error).replace(/^error: /, '')}`,
      fix: 'check that the store user may LISTEN and NOTIFY (and that no pooler in transaction mode sits between)',
    };
  } finally {
    await stores.close();
  }
}
