/** How `oxydra runner` commands describe a runner to a person. */
import type { HealthStatus, RunnerPlan } from '@oxydra/runner';

export const INSECURE_WARNING =
  "WARNING: --insecure: the guest runs as a plain host process and its shell commands run WITHOUT a sandbox, with all of your account's access to files and network. Use it only for development.";

export function describeHealth(health: HealthStatus): string {
  const state = health.healthy ? 'healthy' : health.shutdown ? 'shutting down' : 'UNHEALTHY';
  const lines = [`runner for user ${health.user_id}: ${state}`];
  if (health.message) lines.push(`  ${health.message}`);
  const shell = health.shell_available
    ? health.startup_status.degraded_reasons.some((r) => r.code === 'insecure_process_tier')
      ? 'on, NOT sandboxed (--insecure)'
      : 'on'
    : 'off';
  lines.push(
    `  tier: ${health.sandbox_tier}   shell: ${shell}   browser: ${health.browser_available ? 'on' : 'off'}`,
  );
  const pids = [
    health.runner_pid !== undefined ? `runner pid ${health.runner_pid}` : undefined,
    health.runtime_pid !== undefined ? `guest pid ${health.runtime_pid}` : undefined,
    health.runtime_container_name ? `container ${health.runtime_container_name}` : undefined,
  ].filter(Boolean);
  if (pids.length > 0) lines.push(`  ${pids.join('   ')}`);
  if (health.gateway_endpoint) lines.push(`  gateway: ${health.gateway_endpoint}`);
  for (const reason of health.startup_status.degraded_reasons)
    lines.push(`  degraded: ${reason.code}: ${reason.detail}`);
  if (health.log_dir) lines.push(`  logs: ${health.log_dir}`);
  return `${lines.join('\n')}\n`;
}

export function describeStopped(plan: RunnerPlan, staleRemoved: boolean): string {
  return `runner for user ${plan.userId}: stopped${staleRemoved ? ' (it had exited without cleaning up; removed its stale pid file)' : ''}\n  start it with \`oxydra runner start --user ${plan.userId}\`\n`;
}
