/**
 * The real @modelcontextprotocol/server-everything in its Streamable HTTP mode, on a free port:
 * shared by the MCP client's, the kernel's and the CLI's tests of an HTTP MCP server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The server's entry script (its package's bin). */
export const EVERYTHING_BIN = (() => {
  const manifest = require.resolve('@modelcontextprotocol/server-everything/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : Object.values(bin)[0]!);
})();

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  return port;
}

/**
 * Starts server-everything's Streamable HTTP mode (on `port`, else a free one) and resolves with
 * its port and process once it listens. The child goes into `children`, for the test to kill.
 */
export async function startEverythingHttp(
  children: ChildProcess[],
  port?: number,
): Promise<{ port: number; child: ChildProcess }> {
  const listen = port ?? (await freePort());
  const child = spawn(process.execPath, [EVERYTHING_BIN, 'streamableHttp'], {
    env: { PATH: process.env.PATH, PORT: String(listen) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let said = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes(`listening on port ${listen}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited (${code}): ${said}`)));
  });
  return { port: listen, child };
}
