import { mcpSchema, toolsSchema } from '@oxydra/types';
import { mcpToolSources } from './dist/index.js';

const mcp = mcpSchema.parse({
  servers: {
    everything: {
      command: 'node',
      args: ['/work/main/node_modules/@modelcontextprotocol/server-everything/dist/index.js'],
      read_paths: ['/work/main/node_modules'],
      env: { SECRET_THING: 'supersecretvalue' },
    },
  },
});
const sandbox = toolsSchema.parse({}).sandbox;
const [s] = mcpToolSources(mcp, { workspace: '/tmp/mcpws', sandbox, env: process.env });
console.log(s.health());
const t0 = Date.now();
try {
  await s.start();
} catch (e) {
  console.log('start failed', e.message);
}
console.log(Date.now() - t0, s.health(), s.pid);
const echo = s.tools().find((t) => t.name === 'everything__echo');
console.log(echo?.safety, JSON.stringify(echo?.parameters));
const ctx = { workspace: '/tmp/mcpws', signal: new AbortController().signal };
console.log(await echo.execute({ message: 'hello' }, ctx));
console.log(await echo.execute({ msg: 1 }, ctx));
const env = s.tools().find((t) => t.name === 'everything__get-env');
console.log((await env.execute({}, ctx)).content.slice(0, 900));
const img = s.tools().find((t) => t.name === 'everything__get-tiny-image');
console.log((await img.execute({}, ctx)).content);
console.log(
  s
    .tools()
    .map((t) => t.name + ':' + t.safety)
    .join(' '),
);
await s.close();
console.log(s.health());
