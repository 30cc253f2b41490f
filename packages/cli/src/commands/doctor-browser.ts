/**
 * Doctor's browser line: whether the browser tools ([tools.browser]) could run here — a system
 * Chromium and the optional playwright-core package — said whether or not they are enabled.
 */
import { browserAvailability } from '@oxydra/tools/browser';
import type { AgentConfig } from '@oxydra/types';
import type { Check } from './doctor-check.js';

export function browserCheck(config: AgentConfig): Check {
  const settings = config.tools.browser;
  const found = browserAvailability(settings.executable);
  const missing = [
    ...(found.chromium ? [] : [settings.executable ?? 'Chromium (chromium on PATH)']),
    ...(found.playwright ? [] : ['playwright-core package']),
  ];
  const have = [
    ...(found.chromium ? [`Chromium at ${found.chromium}`] : []),
    ...(found.playwright ? [`playwright-core ${found.playwright}`] : []),
  ].join(', ');
  if (!settings.enabled)
    return {
      name: 'browser',
      status: 'ok',
      detail: `off ([tools.browser] enabled = false); ${missing.length === 0 ? `available: ${have}` : `not available: no ${missing.join(', no ')}`}`,
    };
  if (missing.length > 0)
    return {
      name: 'browser',
      status: 'fail',
      detail: `[tools.browser] is enabled but there is no ${missing.join(' and no ')}; the browser tools will fail`,
      fix: found.chromium
        ? 'npm install -g playwright-core'
        : 'apt-get install chromium (or set [tools.browser] executable), and npm install -g playwright-core',
    };
  const who = process.geteuid?.() === 0 ? `; as root, Chromium runs as ${settings.run_as}` : '';
  return {
    name: 'browser',
    status: 'ok',
    detail: `${have}; pages reach only what web_fetch may${who}${settings.no_sandbox ? "; Chromium's sandbox is OFF (no_sandbox = true)" : ''}`,
  };
}
