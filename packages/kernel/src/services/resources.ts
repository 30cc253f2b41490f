/**
 * resources(): what the kernel's process and machine are using now (Oxios's resource monitor):
 * CPU time, memory, load, and how many agents and sessions are active.
 */
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import type { AgentInfo } from '../types.js';

export interface ResourceSnapshot {
  process: {
    rssBytes: number;
    heapUsedBytes: number;
    cpuUserMs: number;
    cpuSystemMs: number;
    uptimeSecs: number;
  };
  system: { loadAvg: [number, number, number]; cpus: number; freeMemBytes: number; totalMemBytes: number };
  agents: { active: number; running: number; idle: number; total: number };
  /** Distinct sessions of the active agents. */
  sessions: number;
}

export function resourceSnapshot(agents: readonly AgentInfo[]): ResourceSnapshot {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const active = agents.filter(
    (a) => a.status === 'starting' || a.status === 'running' || a.status === 'idle',
  );
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    process: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      uptimeSecs: process.uptime(),
    },
    system: {
      loadAvg: [one, five, fifteen],
      cpus: availableParallelism(),
      freeMemBytes: freemem(),
      totalMemBytes: totalmem(),
    },
    agents: {
      active: active.length,
      running: active.filter((a) => a.status !== 'idle').length,
      idle: active.filter((a) => a.status === 'idle').length,
      total: agents.length,
    },
    sessions: new Set(active.flatMap((a) => (a.sessionId !== undefined ? [a.sessionId] : []))).size,
  };
}
