import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abstractSocketScopeSupported } from '../src/abstract-socket-scope.js';
import { type Fixture, fixture, HAS_BWRAP, NODE_ROOT, policy, runIn } from './helpers.js';

const NAME = `oxydra-test-abstract-${process.pid}`;
/** Connects to the abstract socket `name` and prints what it answers, or the error's code. */
const connect = (name: string) =>
  `${process.execPath} -e "require('net').connect({path:'\\0${name}'}).on('data',d=>process.stdout.write(String(d))).on('error',e=>console.log(e.code))"`;

describe.skipIf(!HAS_BWRAP || !abstractSocketScopeSupported())(
  'abstract Unix sockets with network = "on"',
  () => {
    let f: Fixture;
    let server: Server;
    let hits = 0;
    beforeEach(async () => {
      f = fixture();
      hits = 0;
      // Stands for an X server or a D-Bus bus listening on an abstract address.
      server = createServer((socket) => {
        hits++;
        socket.end('HOST-ANSWER\n');
      });
      await new Promise<void>((resolve) => server.listen(`\0${NAME}`, resolve));
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
      f.cleanup();
    });

    it("cannot reach the host's, and still reaches its own", async () => {
      const shared = policy({ network: { allowHosts: ['*'] }, readableRoots: [NODE_ROOT] });
      const host = await runIn(f, shared, connect(NAME));
      expect(host.output).not.toContain('HOST-ANSWER');
      expect(host.output).toContain('EPERM');
      expect(hits).toBe(0);
      const own = `${process.execPath} -e "const n=require('net'); const s=n.createServer(c=>c.end('OWN\\n')).listen({path:'\\0${NAME}-own'},()=>n.connect({path:'\\0${NAME}-own'}).on('data',d=>{process.stdout.write(String(d)); s.close()}))"`;
      expect((await runIn(f, shared, own)).output).toContain('OWN');
    });
  },
);
