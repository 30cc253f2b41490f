// bench/gateway.mjs's set-up, shared by its sections (not a benchmark itself): the throwaway
// folder and environment every gateway runs with, the zero-latency mock LLM in its own process,
// and the workspaces pointed at it. Nothing started here outlives the benchmark.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockProcess } from '../mock-process.mjs';
import { mockWorkspace } from '../mock-workspace.mjs';

export const TOKEN = 'bench-gateway-token-0123456789';
export const round = (x) => Math.round(x * 10) / 10;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The per-connection frame limit (50/s by default) is a flood guard; one client sending turns
// back to back as fast as the gateway answers them (sections e and g) is what is measured here.
export const BENCH_TOML =
  '\n[tools]\napproval = "auto"\n\n[gateway]\nrate_limit_per_sec = 100000\nrate_limit_burst = 100000\n';

/**
 * The benchmark's shared state: `checkout` (--root) is another checkout whose build is run, for
 * A/B; `chunkCount` the number of chunks the mock splits every answer into.
 */
export async function openBench({ checkout, gatewayNodeArgs, chunkCount }) {
  const bin = checkout
    ? join(checkout, 'packages/cli/bin/oxydra.js')
    : fileURLToPath(new URL('../../packages/cli/bin/oxydra.js', import.meta.url));
  const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-gateway-'));
  // The user's environment as it is (stripping it hides start-up work real runs pay), with a
  // home and system folder of the benchmark's own so no real configuration is read.
  const gatewayEnv = {
    ...process.env,
    HOME: join(root, 'home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
    OXYDRA_GATEWAY_TOKEN: TOKEN,
  };
  // Whatever happens (a failed turn throws), no gateway or mock outlives the benchmark.
  const children = new Set();
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  // ---- the mock LLM, in its own process ----
  const words = Array.from({ length: chunkCount }, (_, i) => `w${i}`).join(' ');
  const scenarioPath = join(root, 'scenario.json');
  writeFileSync(
    scenarioPath,
    JSON.stringify({ steps: [{ reply: { text: words, textChunks: chunkCount }, times: 'always' }] }),
  );
  const { url: mockUrl, child: mock } = await startMockProcess(bin, scenarioPath);
  children.add(mock);

  return {
    bin,
    root,
    gatewayEnv,
    gatewayNodeArgs,
    children,
    /** The shared mock model's process id (its CPU per turn is read beside the gateway's). */
    mockPid: mock.pid,
    /** A trusted workspace in the benchmark's folder whose model is the shared mock. */
    workspace: (name) => mockWorkspace(join(root, name), mockUrl, BENCH_TOML, gatewayEnv, bin),
    close() {
      mock.kill('SIGTERM');
      rmSync(root, { recursive: true, force: true });
    },
  };
}
