/**
 * Doctor's check of a deployment of several gateway processes on PostgreSQL: the event bus
 * they tell each other things over answers a round trip (LISTEN/NOTIFY on the store's own
 * server), and which processes are live on the store now (their beats; gateways, `oxydra
 * scheduler run`, `oxydra schedule run-now` and `oxydra mcp serve`, each with its kind: the
 * store's PROCESS_KINDS). Only with
 * [store] backend = "postgres". The store check before it connected once and read both the
 * schema's version and the live processes: this one opens only the bus (its own LISTEN and
 * NOTIFY connections), and nothing when the store check found the schema unusable.
 */
import { hostname } from 'node:os';
import type { AgentConfig } from '@oxydra/types';
import { formatError } from '../exit.js';
import type { StoreReport } from '../run/store-choice.js';
import type { Check } from './doctor-check.js';

/** A process live within this long is listed (the gateways beat every second). */
export const DEPLOYMENT_LIVE_MS = 10_000;

export async function deploymentCheck(config: AgentConfig, report: StoreReport): Promise<Check | undefined> {
  // Not PostgreSQL, or not reachable, or not current: the store check says why.
  if (report.backend !== 'postgres' || report.processes === undefined) return undefined;
  const live = report.processes;
  const { storeChoice } = await import('../run/store-choice.js');
  const choice = storeChoice(config);
  if (choice.backend !== 'postgres') return undefined;
  try {
    const { PostgresEventBus } = await import('@oxydra/store-postgres');
    const bus = await PostgresEventBus.open({
      url: choice.url,
      schema: choice.schema,
      processId: `doctor-${hostname()}-${process.pid}`,
      heartbeatMs: 0,
    });
    try {
      await bus.check();
    } finally {
      await bus.close();
    }
    const names = live.map((p) => `${p.kind} ${p.host} pid ${p.pid}${p.url ? ` (${p.url})` : ''}`);
    return {
      name: 'deployment',
      status: 'ok',
      detail: `event bus (LISTEN/NOTIFY on the store's server) answers; ${
        live.length === 0
          ? 'no process of the deployment is running'
          : `${live.length} process(es) live: ${names.join(', ')}`
      }`,
    };
  } catch (error) {
    return {
      name: 'deployment',
      status: 'fail',
      detail: `the event bus on the store's server does not answer: ${formatError(error).replace(/^error: /, '')}`,
      fix: 'check that the store user may LISTEN and NOTIFY (and that no pooler in transaction mode sits between)',
    };
  }
}
