/**
 * The in-sandbox half of the egress proxy. The sandbox's network namespace has only a loopback
 * interface, so commands cannot reach the host's proxy socket by TCP; this small Node program,
 * started by bwrap before the command, listens on 127.0.0.1:PROXY_PORT inside the namespace and
 * pipes every connection to the proxy's Unix socket, then runs the command and exits with its
 * status. It is written as a file into the proxy's directory (bound read-only into the sandbox),
 * not shipped as a module: the CLI is bundled, and the sandbox sees none of our packages.
 */

/** The port HTTP(S)_PROXY point at inside the sandbox (its own network namespace: no clashes). */
export const PROXY_PORT = 3128;

export const BRIDGE_SCRIPT = `// oxydra egress bridge: 127.0.0.1:port in the sandbox -> the host proxy's Unix socket.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { constants } from 'node:os';

const [port, socketPath, separator, ...command] = process.argv.slice(2);
if (separator !== '--' || command.length === 0) {
  process.stderr.write('usage: bridge.mjs PORT SOCKET -- COMMAND...\\n');
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
});
server.on('error', (error) => {
  process.stderr.write('oxydra egress bridge: ' + error.message + '\\n');
  process.exit(125);
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  child.on('error', (error) => {
    process.stderr.write(command[0] + ': ' + error.message + '\\n');
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
  });
});
`;
