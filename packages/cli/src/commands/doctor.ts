/**
 * `oxydra doctor`: is this installation ready to run agents? Checks Node, the configuration,
 * each provider's credential source (never its value), that the servers a run would call
 * answer, that the workspace and its database are writable, and the sandbox backend.
 */
import { existsSync } from 'node:fs';
import { DEFAULTS_SOURCE, findWorkspaceRoot, type LoadedConfig, type WorkspaceTrust } from '@oxydra/config';
import { shellIsolation } from '@oxydra/kernel/workspace';
import {
  credentialCandidates,
  describeCredentialSource,
  isCustomEndpoint,
  resolveCredential,
} from '@oxydra/provider';
import { BWRAP, detectSandbox, NOBODY, sandboxIdentity } from '@oxydra/sandbox/detect';
import { type AgentConfig, isOxydraError, WIRE_FACTS } from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { formatError } from '../exit.js';
import { loadCliConfig } from '../run/load-config.js';
import { printLines } from '../run/print.js';
import type { StoreReport } from '../run/store-choice.js';
import { browserCheck } from './doctor-browser.js';
import type { Check } from './doctor-check.js';
import { costsCheck } from './doctor-costs.js';
import { DEPLOYMENT_LIVE_MS, deploymentCheck } from './doctor-deployment.js';
import { endpointChecks, usedEntries } from './doctor-endpoints.js';
import { runnerChecks } from './doctor-runner.js';
import { selectionCheck } from './doctor-selection.js';
import { toolSourceChecks } from './doctor-sources.js';
import { writableChecks } from './doctor-writable.js';

const MIN_NODE = [20, 19];

function checkNode(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!);
  return ok
    ? { name: 'node', status: 'ok', detail: `v${process.versions.node}` }
    : {
        name: 'node',
        status: 'fail',
        detail: `v${process.versions.node} is too old`,
        fix: 'install Node.js 20.19 or newer',
      };
}

function checkSandbox(config: AgentConfig | undefined, workspace: string): Check[] {
  const checks: Check[] = [];
  if (config && process.geteuid?.() === 0) checks.push(checkRoot(config, workspace));
  // With a configuration (and off macOS), shellIsolation below probes the sandbox exactly as a
  // run would, as the uid commands get: a probe here first would only repeat it.
  const detection = config && process.platform !== 'darwin' ? undefined : detectSandbox();
  if (detection?.tier === 'sandbox_exec') {
    checks.push({
      name: 'sandbox',
      status: 'warn',
      detail:
        'sandbox-exec (macOS Seatbelt): commands confined to the workspace for writes, secrets folders unreadable, network per [tools.sandbox]; not yet verified on a Mac by our tests, and process limits are not applied',
    });
    return checks;
  }
  if (!config) {
    checks.push(
      detection?.tier === 'bubblewrap'
        ? { name: 'sandbox', status: 'ok', detail: 'bubblewrap: shell_exec runs isolated' }
        : {
            name: 'sandbox',
            status: 'warn',
            detail: `${detection?.degradation ?? 'bubblewrap unavailable'}: shell_exec is refused unless [tools.sandbox] mode = "none"`,
            ...(detection?.fix ? { fix: detection.fix } : {}),
          },
    );
    return checks;
  }
  // A fresh probe as commands would run (never the cached "it worked"): doctor is what a user
  // runs when something changed. shellIsolation below then decides from this very answer.
  if (config.tools.sandbox.mode !== 'none' && process.platform === 'linux') {
    detectSandbox(BWRAP, sandboxIdentity(workspace, config.tools.sandbox.run_as), { fresh: true });
  }
  // The very decision a run makes, so doctor cannot disagree with what shell_exec will do.
  let isolation: ReturnType<typeof shellIsolation>;
  try {
    isolation = shellIsolation(config, workspace);
  } catch (error) {
    // mode = "bubblewrap" (or sandbox_exec) required, and this machine does not have it.
    checks.push({ name: 'sandbox', status: 'fail', detail: (error as Error).message });
    return checks;
  }
  if (isolation.refusal !== undefined) {
    checks.push({ name: 'sandbox', status: 'warn', detail: isolation.refusal });
  } else if (isolation.tier === 'none') {
    checks.push({ name: 'sandbox', status: 'warn', detail: isolation.warning ?? isolation.summary });
  } else {
    checks.push({ name: 'sandbox', status: 'ok', detail: isolation.summary });
    if (isolation.warning) checks.push({ name: 'sandbox limits', status: 'warn', detail: isolation.warning });
  }
  return checks;
}

/** Running as root: what Oxydra changes so that commands never hold host root. */
function checkRoot(config: AgentConfig, workspace: string): Check {
  const identity = sandboxIdentity(workspace, config.tools.sandbox.run_as);
  if (identity === undefined) {
    return {
      name: 'root',
      status: 'warn',
      detail:
        'running as root with [tools.sandbox] run_as = "root": sandboxed commands are host root (no capabilities, kernel knobs read-only), so root-only host files are readable to them',
      fix: 'remove run_as = "root" (commands then run as an ordinary uid), or run Oxydra as an ordinary user',
    };
  }
  return {
    name: 'root',
    status: 'ok',
    detail: `running as root: sandboxed commands run as uid ${identity.uid}:${identity.gid} (${config.tools.sandbox.run_as === 'auto' ? (identity.uid === NOBODY.uid ? '"nobody": the workspace is owned by root' : 'the workspace owner') : '[tools.sandbox] run_as'}), never as host root; /proc/sys, /proc/sysrq-trigger, /proc/irq and /proc/bus are read-only inside`,
  };
}

/**
 * Workspace state this user did not create (it came with the folder): reported, never opened.
 * The next command that uses it sets it aside (kernel store/state-origin.ts).
 */
async function foreignStateChecks(workspace: string, database: string | undefined): Promise<Check[]> {
  const { stateStanding, workspaceStatePaths } = await import('@oxydra/kernel/workspace');
  const paths = workspaceStatePaths(workspace, database);
  const checks: Check[] = [];
  for (const path of paths) {
    const { standing, why } = stateStanding(path);
    if (standing !== 'foreign') continue;
    checks.push({
      name: 'state',
      status: 'warn',
      detail: `${path} did not come from you (${why}): nothing in it is used; the next command that needs it sets it aside and starts a fresh one`,
      fix: `if it is yours (made by an earlier Oxydra): oxydra trust --adopt-state ${workspace}`,
    });
  }
  return checks;
}

/** The memory database: where it is, its schema version and what it holds; never created here. */
async function checkMemory(config: AgentConfig): Promise<Check> {
  if (!config.memory.enabled)
    return { name: 'memory', status: 'ok', detail: 'disabled ([memory] enabled = false)' };
  const { memoryLocation } = await import('@oxydra/kernel/workspace');
  const location = memoryLocation(config, findWorkspaceRoot());
  if ('url' in location)
    return { name: 'memory', status: 'ok', detail: `remote libSQL at ${location.url} (not contacted)` };
  if (!existsSync(location.path)) {
    return {
      name: 'memory',
      status: 'ok',
      detail: `${location.path} does not exist yet (the first run creates it)`,
    };
  }
  try {
    const { openMemory } = await import('@oxydra/memory');
    const db = await openMemory(location);
    try {
      const counts = await db.counts();
      return {
        name: 'memory',
        status: 'ok',
        detail: `${location.path}: schema v${db.schemaVersion}, ${counts.sessions} sessions, ${counts.notes} notes`,
      };
    } finally {
      await db.close();
    }
  } catch (error) {
    return { name: 'memory', status: 'fail', detail: `${location.path}: ${(error as Error).message}` };
  }
}

/**
 * The store [store] names: the embedded file, or the PostgreSQL server, reachable and migrated.
 * Its report (with, on PostgreSQL, the live gateway processes, read on the same connection) is
 * the deployment check's too: the store is connected to once.
 */
async function storeCheck(
  config: AgentConfig,
  workspace: string,
): Promise<{ check: Check; report?: StoreReport }> {
  const { migrationState, storeReport } = await import('../run/store-choice.js');
  let report: StoreReport;
  try {
    report = await storeReport(config, workspace, process.env, { liveWithinMs: DEPLOYMENT_LIVE_MS });
  } catch (error) {
    return { check: { name: 'store', status: 'fail', detail: formatError(error).replace(/^error: /, '') } };
  }
  if (report.backend === 'libsql') {
    const detail = `libsql (embedded: ${report.location}; migrates itself)`;
    return { check: { name: 'store', status: 'ok', detail }, report };
  }
  const where = `postgres ${report.target}, schema ${report.schema}`;
  if (!report.reachable) {
    const check: Check = {
      name: 'store',
      status: 'fail',
      detail: `${where}: not reachable (${report.reason})`,
      fix: `check the server and the URL in ${report.urlFrom}; then \`oxydra store status\``,
    };
    return { check, report };
  }
  const version = report.version ?? 0;
  const check: Check = {
    name: 'store',
    status: version > report.latest ? 'fail' : version < report.latest ? 'warn' : 'ok',
    detail: `${where}: reachable, migrations ${migrationState(report)}`,
    ...(version < report.latest ? { fix: 'oxydra store migrate' } : {}),
  };
  return { check, report };
}

function credentialChecks(loaded: LoadedConfig): Check[] {
  const { config } = loaded;
  const selected = config.selection.provider;
  const used = usedEntries(config);
  // Built-in entries nobody chose, without a key: one line, not a warning each (a user of a
  // local model never asked about OpenAI's key).
  const unchosen = Object.entries(config.providers.registry)
    .filter(([name, entry]) => !used.includes(name) && !isCustomEndpoint(entry))
    .filter(([, entry]) => !resolveCredential(entry, process.env))
    .map(([name]) => name);
  const checks = Object.entries(config.providers.registry).flatMap(([name, entry]): Check[] => {
    if (unchosen.includes(name)) return [];
    const checkName = `provider ${name}`;
    // A model run in process needs no key; unused, it is not worth a line (endpointChecks looks at a used one's file).
    if (WIRE_FACTS[entry.provider_type].inProcess) {
      return used.includes(name)
        ? [{ name: checkName, status: 'ok', detail: 'runs in process (llama_cpp): no key' }]
        : [];
    }
    const custom = isCustomEndpoint(entry);
    // The rule chat and embeddings use: a custom endpoint only gets its own api_key / api_key_env.
    const credential = resolveCredential(entry, process.env);
    const isSelected = name === selected || config.selection.fallbacks.some((f) => f.provider === name);
    if (credential) {
      return [
        {
          name: checkName,
          status: 'ok',
          detail: `key from ${describeCredentialSource(credential.source)}${isSelected ? ' (selected)' : ''}`,
        },
      ];
    }
    const fix = `set one of: ${credentialCandidates(entry).join(', ')}`;
    if (custom)
      return [
        {
          name: checkName,
          status: 'ok',
          detail: `no key; ${entry.base_url} is a custom endpoint that may not need one`,
        },
      ];
    return [
      {
        name: checkName,
        status: isSelected ? 'fail' : 'warn',
        detail: `no API key${isSelected ? ' for the selected provider' : ' (used for embeddings)'}`,
        fix,
      },
    ];
  });
  if (unchosen.length > 0) {
    checks.push({
      name: 'other providers',
      status: 'ok',
      detail: `${unchosen.join(', ')}: no key, and not used by the selection (set one to use it with --provider)`,
    });
  }
  return checks;
}

/** Whether the workspace's own settings that need trust apply, and which are held back. */
function trustCheck(trust: WorkspaceTrust): Check {
  const keys = [...new Set(trust.held.map((held) => held.key))];
  switch (trust.state) {
    case 'not-needed':
      return { name: 'trust', status: 'ok', detail: 'the workspace sets nothing that needs trust' };
    case 'trusted':
    case 'trusted-for-this-run':
      return {
        name: 'trust',
        status: 'ok',
        detail: `${trust.state === 'trusted' ? 'trusted' : 'trusted for this command'}: ${keys.join(', ')} apply`,
      };
    default:
      return {
        name: 'trust',
        status: 'warn',
        detail: `${trust.state === 'declined' ? 'declined' : 'not trusted'}${trust.changed ? ' (changed since you decided)' : ''}: held back ${keys.join(', ')}`,
        fix: `oxydra trust ${trust.workspace}`,
      };
  }
}

export async function runDoctor(options: ConfigFlagValues & { json?: boolean }): Promise<number> {
  const checks: Check[] = [checkNode()];
  let config: AgentConfig | undefined;
  try {
    const loaded = await loadCliConfig({ ask: false, cli: await toCliOverrides(options) });
    config = loaded.config;
    const files = loaded.files.filter((file) => file.found).map((file) => file.path);
    checks.push({
      name: 'config',
      status: 'ok',
      detail:
        files.length > 0
          ? `valid (${files.join(', ')})`
          : `valid (${DEFAULTS_SOURCE} only: no .oxydra/ in ${process.cwd()} or any folder above it; run \`oxydra init\` to create one)`,
    });
    checks.push(trustCheck(loaded.trust));
    const selection = await selectionCheck(loaded.config);
    checks.push(selection);
    checks.push(...credentialChecks(loaded));
    // The prices of a model a run refuses say nothing useful.
    if (selection.status === 'ok') checks.push(await costsCheck(loaded.config));
    checks.push(...(await endpointChecks(loaded.config, process.env)));
    const { memoryLocation } = await import('@oxydra/kernel/workspace');
    const workspace = findWorkspaceRoot();
    const location = memoryLocation(loaded.config, workspace);
    const database = loaded.config.memory.enabled && 'path' in location ? location.path : undefined;
    const foreign = await foreignStateChecks(workspace, database);
    checks.push(...foreign);
    // A memory database that did not come from this user is not opened, even to count its rows.
    if (!foreign.some((check) => check.detail.startsWith(`${database} `))) {
      checks.push(await checkMemory(loaded.config));
    }
    const store = await storeCheck(loaded.config, workspace);
    checks.push(store.check);
    const deployment = store.report && (await deploymentCheck(loaded.config, store.report));
    if (deployment) checks.push(deployment);
    checks.push(...writableChecks(workspace, database));
    checks.push(...(await toolSourceChecks(loaded.config, workspace)));
    checks.push(browserCheck(loaded.config));
  } catch (error) {
    // The error's own fix (a TOML mistake's corrected line) is the fix line, not a second line of detail.
    const hint = isOxydraError(error) ? error.hint : undefined;
    const detail = formatError(error).replace(/^error: /, '');
    checks.push({
      name: 'config',
      status: 'fail',
      detail: hint === undefined ? detail : detail.slice(0, detail.lastIndexOf('\n  hint: ')),
      fix: hint ?? 'oxydra config validate',
    });
  }
  checks.push(...checkSandbox(config, findWorkspaceRoot()));
  checks.push(...(await runnerChecks(findWorkspaceRoot())));

  const failed = checks.some((check) => check.status === 'fail');
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, checks }, null, 2)}\n`);
  } else {
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) {
      const tag = check.status === 'ok' ? '[ok]  ' : check.status === 'warn' ? '[warn]' : '[FAIL]';
      // A detail names what the workspace's files say (a held key, a server's name): made visible.
      printLines(`${tag} ${check.name.padEnd(width)}  ${check.detail}\n`);
      if (check.fix) printLines(`       ${' '.repeat(width)}  fix: ${check.fix}\n`);
    }
    process.stdout.write(failed ? '\nSome checks failed.\n' : '\nReady.\n');
  }
  return failed ? 1 : 0;
}
