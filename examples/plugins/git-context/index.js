// @ts-check
/**
 * git-context: an example Oxydra plugin, and the one the tests load.
 * - context provider "repository": the branch and the last commits, before each model call;
 * - tool git_log: the history of the repository or of one path (read-only);
 * - evaluator "turn-counter": counts finished turns in the plugin's state;
 * - service "git": checks that the git binary works, reported in `oxydra doctor` and /readyz;
 * - event handler: remembers how the last agent ended (state "last_exit").
 *
 * Only `git log` and `git rev-parse` run, with the repository's hooks and fsmonitor off: they
 * read objects and refs and never run the checkout's filters, so a repository an agent could
 * have tampered with cannot make this plugin run commands outside the sandbox.
 */
import { execFile } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { definePlugin, pluginTool } from '@oxydra/plugin';
import { z } from 'zod';

const configSchema = z.object({
  max_commits: z.number().int().min(1).max(50).default(5),
});

/**
 * Runs git read-only in `cwd`; resolves with stdout, or undefined when git fails (not a repository).
 * @param {string} cwd @param {string[]} args @param {AbortSignal} [signal]
 * @returns {Promise<string | undefined>}
 */
function git(cwd, args, signal) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return new Promise((done) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', ...args],
      { cwd, env, timeout: 5_000, maxBuffer: 1024 * 1024, ...(signal ? { signal } : {}) },
      (error, stdout) => done(error ? undefined : stdout),
    );
  });
}

export default definePlugin({
  name: 'git-context',
  version: '0.1.0',
  description: "the repository's branch and recent commits as context, and a git_log tool",
  configSchema,
  init(context) {
    context.log.info(`showing the last ${context.config.max_commits} commits`);
  },
  contextProviders: (context) => {
    /** @type {{ head: string; text: string | undefined } | undefined} */
    let cached;
    return [
      {
        name: 'repository',
        async get({ workspace, signal }) {
          const head = await git(workspace, ['rev-parse', 'HEAD'], signal);
          if (head === undefined) return undefined;
          if (cached?.head === head) return cached.text;
          const branch = (await git(workspace, ['rev-parse', '--abbrev-ref', 'HEAD'], signal))?.trim();
          const log = await git(
            workspace,
            ['log', `-n${context.config.max_commits}`, '--format=%h %ad %s', '--date=short'],
            signal,
          );
          const text = `Git branch: ${branch}\nRecent commits:\n${(log ?? '').trim()}`;
          cached = { head, text };
          return text;
        },
      },
    ];
  },
  tools: [
    pluginTool({
      name: 'git_log',
      description:
        'The git history of the workspace, or of one file or folder in it: hash, date, author and subject of each commit, newest first.',
      parameters: z.object({
        max_count: z.number().int().min(1).max(200).default(20).describe('how many commits'),
        path: z.string().optional().describe('a file or folder in the workspace (default: all)'),
      }),
      safety: 'read_only',
      async execute({ max_count, path }, { workspace, signal }) {
        const args = ['log', `-n${max_count}`, '--format=%h %ad %an %s', '--date=short'];
        if (path !== undefined) {
          const inside = relative(workspace, resolve(workspace, path));
          if (inside.startsWith('..')) return { content: `${path} is outside the workspace`, isError: true };
          args.push('--', inside === '' ? '.' : inside);
        }
        const out = await git(workspace, args, signal);
        if (out === undefined) return { content: 'not a git repository (or git failed)', isError: true };
        return out.trim() === '' ? 'no commits' : out.trim();
      },
    }),
  ],
  evaluators: (context) => [
    {
      name: 'turn-counter',
      async run(outcome) {
        if (outcome.status !== 'completed') return;
        const turns = (await context.state.get('turns')) ?? 0;
        await context.state.set('turns', Number(turns) + 1);
      },
    },
  ],
  services: () => {
    /** @type {string | undefined} */
    let version;
    return [
      {
        name: 'git',
        async start() {
          version = (await git(process.cwd(), ['--version']))?.trim();
        },
        async stop() {},
        health: () =>
          version ? { ok: true, detail: version } : { ok: false, detail: 'git is not installed' },
      },
    ];
  },
  events: (context) => ({
    // Every agent's exit, kept for `oxydra plugins info` readers and the tests.
    agent_exited: async (event) => {
      await context.state.set('last_exit', { agent: event.agentId, status: event.event.status });
    },
  }),
});
