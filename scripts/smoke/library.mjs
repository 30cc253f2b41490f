// scripts/smoke-installed.mjs's checks of the library (oxydra/kernel, oxydra/plugin,
// oxydra/testkit) as a project that installed the package uses it: a program run and typechecked,
// the entries' exports against their declaration files, and the program's code cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, env, root } from './harness.mjs';

/** The library's checks, in order (the later two use the project the first makes). */
export async function checkLibrary() {
  // The library entry points, as a project that installed the package uses them: a program that
  // opens a kernel on the testkit's mock, and TypeScript (strict, no skipLibCheck) over the same.
  await check('the library: oxydra/kernel, oxydra/plugin, oxydra/testkit (run and typecheck)', async () => {
    const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env }).trim();
    const project = join(root, 'library');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    chmodSync(project, 0o755);
    symlinkSync(join(npmRoot, 'oxydra'), join(project, 'node_modules', 'oxydra'));
    writeFileSync(join(project, 'package.json'), '{"type": "module"}\n');
    const program = `import { mkdirSync, writeFileSync } from 'node:fs';
import { agentConfigSchema, loadAgentConfig, openKernel } from 'oxydra/kernel';
import { definePlugin } from 'oxydra/plugin';
import { startMockLLM } from 'oxydra/testkit';

const plugin = definePlugin({ name: 'smoke', version: '1.0.0' });
const mock = await startMockLLM({ api: 'openai-chat', scenario: [{ reply: { text: 'library ok' } }] });
mkdirSync('.oxydra', { recursive: true });
writeFileSync('.oxydra/agent.toml', \`[selection]
provider = "mock"
model = "gpt-4o-mini"
[providers.registry.mock]
provider_type = "openai"
base_url = "\${mock.url}"
api_key = "sk-smoke-0123456789"
\`);
// The program wrote this workspace's config itself, so it trusts it for this load.
const { config } = await loadAgentConfig({ cwd: process.cwd(), trust: 'this-run' });
// The configuration schema the entry exports, built at its first parse (docs/kernel.md).
if (agentConfigSchema.safeParse({ scheduler: { notify: 'nowhere:1' } }).success)
  throw new Error('agentConfigSchema accepted a notify naming no channel');
const kernel = await openKernel({ workspace: process.cwd(), config, host: 'cli' });
const result = await kernel.agents.spawn({ prompt: 'hi' }).result;
await kernel.close();
await mock.close();
const answer: string = result.text;
console.log(plugin.name, result.status, answer);
`;
    writeFileSync(join(project, 'main.ts'), program);
    writeFileSync(join(project, 'main.mjs'), program.replace(': string', ''));
    const ran = spawnSync(process.execPath, ['main.mjs'], {
      cwd: project,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (ran.stdout.trim() !== 'smoke completed library ok')
      throw new Error(`the program printed ${JSON.stringify(ran.stdout)} ${ran.stderr.slice(0, 600)}`);
    const repoModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));
    const tsc = spawnSync(
      process.execPath,
      [
        join(repoModules, 'typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        '--typeRoots',
        join(repoModules, '@types'),
        'main.ts',
      ],
      { cwd: project, env, encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`tsc found errors:\n${(tsc.stdout + tsc.stderr).slice(0, 1500)}`);
    return 'ran and typechecked';
  });

  // The library's ES modules (bundle/<name>.mjs) are generated: each requires its entry of the
  // CommonJS bundle through bin/code-cache.cjs and re-exports the names that entry exports. They
  // must be the names the declaration file gives as values, no more and no fewer.
  await check('the library entry points export what their declaration files declare', () => {
    const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env }).trim();
    const project = join(root, 'library');
    const repoModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));
    const ts = module.createRequire(import.meta.url)(join(repoModules, 'typescript'));
    const names = ['kernel', 'plugin', 'testkit'];
    const ran = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const name of ${JSON.stringify(names)}) console.log(Object.keys(await import('oxydra/' + name)).sort().join(' '));`,
      ],
      { cwd: project, env, encoding: 'utf8', timeout: 60_000 },
    );
    if (ran.status !== 0) throw new Error(`importing the entries failed: ${ran.stderr.slice(0, 600)}`);
    const exported = ran.stdout.trim().split('\n');
    const counts = [];
    names.forEach((name, i) => {
      const file = join(npmRoot, 'oxydra', 'types', `${name}.d.ts`);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: [],
      });
      const checker = program.getTypeChecker();
      const declared = checker
        .getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)))
        .filter((symbol) => {
          const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
          return (target.flags & ts.SymbolFlags.Value) !== 0;
        })
        .map((symbol) => symbol.name)
        .sort()
        .join(' ');
      if (exported[i] !== declared)
        throw new Error(
          `oxydra/${name} exports [${exported[i]}], its declaration file declares [${declared}]`,
        );
      counts.push(`${name} ${declared.split(' ').length}`);
    });
    return counts.join(', ');
  });

  // A program using the library starts from V8's cached code as the CLI does (bin/code-cache.cjs,
  // through requireLibrary): the first run writes the cache when the program exits (openKernel made
  // the local key: this HOME has none to start with), the second is served from it, and a cache
  // file whose MAC does not match (forged) is refused, the program running as usual.
  await check('the library starts from its code cache the second time, and refuses a forged one', () => {
    // The same program in a project of its own (its state made under this HOME's key).
    const project = join(root, 'library-cached');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    cpSync(join(root, 'library', 'main.mjs'), join(project, 'main.mjs'));
    cpSync(join(root, 'library', 'package.json'), join(project, 'package.json'));
    const installed = join(root, 'library', 'node_modules', 'oxydra');
    symlinkSync(readlinkSync(installed), join(project, 'node_modules', 'oxydra'));
    const home = join(root, 'library-home');
    const cacheHome = join(root, 'library-cache');
    const folder = join(cacheHome, 'oxydra', 'code-cache', `${process.version}-${process.arch}`);
    const start = () => {
      const ran = spawnSync(process.execPath, ['main.mjs'], {
        cwd: project,
        env: { ...env, HOME: home, XDG_CACHE_HOME: cacheHome, NODE_DEBUG: 'oxydra_code_cache' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (ran.stdout.trim() !== 'smoke completed library ok')
        throw new Error(`the program printed ${JSON.stringify(ran.stdout)} ${ran.stderr.slice(0, 600)}`);
      return ran.stderr;
    };
    const fromCache = (stderr) => /(\d+) of (\d+) files from the cache/.exec(stderr);
    const first = start();
    const written = /wrote (\d+) of (\d+) files/.exec(first);
    if (!written || written[1] === '0') throw new Error(`the first run wrote no cache: ${first.slice(-600)}`);
    // The second run finds the workspace state the first made, so it may load a few files more
    // (written at its exit); the third loads nothing new.
    const secondLog = start();
    const second = fromCache(secondLog);
    if (!second || second[1] === '0' || /rejected|damaged/.test(secondLog))
      throw new Error(`the second run was not served from the cache: ${secondLog.slice(-600)}`);
    const third = fromCache(start());
    if (!third || third[1] !== third[2])
      throw new Error(`the third run was not served from the cache alone: ${third?.[0] ?? 'no line'}`);
    for (const file of readdirSync(folder)) {
      const path = join(folder, file);
      writeFileSync(path, randomBytes(statSync(path).size));
    }
    const forged = start();
    if (!forged.includes("cache damaged or not made with this user's key") || fromCache(forged)?.[1] !== '0')
      throw new Error(`a forged cache was not refused: ${forged.slice(-600)}`);
    return `${written[1]} files written, ${second[1]} of ${second[2]} from the cache next time, ${third[1]} of ${third[2]} after; forged ones refused`;
  });
}
