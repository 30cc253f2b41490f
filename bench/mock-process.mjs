// Shared by the benchmarks (not one itself): the testkit's mock model served by `oxydra
// mock-llm` in a process of its own, so the process under measurement shares no event loop with it.
import { spawn } from 'node:child_process';

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
