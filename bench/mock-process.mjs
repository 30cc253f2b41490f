// Shared by the benchmarks (not one itself): the testkit's mock model served by `oxydra
// mock-llm` in a process of its own, so the process under measurement shares no event loop with it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Starts `oxydra mock-llm` with a scenario file; resolves with its base URL and the child. */
export async function startMockProcess(bin, scenarioPath, api = 'openai-chat') {
  const child = spawn(process.execPath, [bin, 'mock-llm', '--api', api, '--scenario', scenarioPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`mock-llm exited ${code}`)));
  });
  return { url, child };
}

/**
 * The environment an `oxydra run` benchmark process gets: `base` (the user's own, or a minimal
 * one), HOME in the throwaway workspace, and a "mock" provider entry selected and pointed at `url`.
 */
export function mockRunEnv(base, workspace, url) {
  return {
    ...base,
    HOME: workspace,
    OXYDRA_SYSTEM_CONFIG_DIR: `${workspace}/etc`,
    OXYDRA__PROVIDERS__REGISTRY__MOCK__PROVIDER_TYPE: 'openai',
    OXYDRA__PROVIDERS__REGISTRY__MOCK__BASE_URL: url,
    OXYDRA__SELECTION__PROVIDER: 'mock',
    OXYDRA__SELECTION__MODEL: 'bench-model',
  };
}

/**
 * The one-tool scenario the process benches share, written to `dir`/scenario.json: the prompt
 * "Read notes.txt" gets a file_read call, and the call after it (the file's content last) a sentence.
 */
export function readNotesScenarioFile(dir) {
  const path = join(dir, 'scenario.json');
  writeFileSync(
    path,
    JSON.stringify({
      steps: [
        {
          match: { lastMessageContains: 'Read notes.txt' },
          reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }] },
          times: 'always',
        },
        { reply: { text: 'The file has two lines.' }, times: 'always' },
      ],
    }),
  );
  return path;
}
