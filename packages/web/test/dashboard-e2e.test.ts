/**
 * The web dashboard end to end: the built app (packages/web/dist) served by a real gateway over a
 * real kernel whose model is scripted, driven in headless Chromium. Log in with the token (kept
 * in sessionStorage, never in the URL); a chat turn streams, is cancelled, asks approvals that
 * are allowed and denied inline; a running sub-agent shows in the agents tree and is killed from
 * it; sessions are listed, searched and read (a spec run's panel with its per-criterion results); the audit chain verifies, then shows the entry a
 * tampering broke; a run is undone from the checkpoints page; every page is screenshotted at a
 * laptop's and a phone's width (test-artifacts/web/) and shows no error. The approvals queue
 * updates live from the event stream (no reload, no polling); a new session runs the agent
 * chosen for it; the model's Markdown renders, its HTML shows as text and runs nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { runSpec } from '@oxydra/kernel/spec';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { Message } from '@oxydra/types';
import Database from 'libsql';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Gate,
  type ModelCall,
  type Script,
  ScriptedModel,
  startTestGateway,
  TestClient,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from '../../gateway/test/helpers.js';
import {
  LAPTOP,
  launch,
  logIn,
  NO_BROWSER,
  type OpenPage,
  openPage,
  PHONE,
  screenshot,
  settled,
  sharedContext,
  visit,
} from './browser.js';

const WEB_ROOT = fileURLToPath(new URL('../dist/', import.meta.url));

function textOf(message: Message | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Released by the streaming test: the answer's second half waits for it. */
let streamGate = new Gate();

/** Waits until the call is aborted (a cancelled turn, a killed agent). */
function aborted(call: ModelCall): Promise<void> {
  return new Promise((resolve) => {
    if (call.signal.aborted) resolve();
    call.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** One script for every model call, chosen by the turn's prompt (the last user message). */
/** The poet agent's system prompt says this; its answers say who they are. */
const POET_PROMPT = 'You are the poet agent: answer in verse.';

/** What the model answers "markdown please" with: Markdown, and HTML that must stay text. */
const MARKDOWN_ANSWER = [
  'Here is a list:',
  '',
  '- alpha',
  '- **beta**',
  '',
  '```js',
  'const x = 1 < 2;',
  '```',
  '',
  'Raw HTML: <script>window.__pwned = 1</script> and <img src=x onerror="window.__pwned = 2">',
  '',
  '[the docs](https://example.com/docs) [bad](javascript:window.__pwned=3) [inside](/api/v1/me) ![pic](https://example.com/p.png)',
].join('\n');

const script: Script = async function* (call) {
  const prompt = textOf(call.messages.findLast((m) => m.role === 'user'));
  const poet = call.messages.some((m) => m.role === 'system' && textOf(m).includes(POET_PROMPT));
  const last = call.messages.at(-1);
  const toolResult = last?.role === 'tool' ? textOf(last) : undefined;
  if (prompt.startsWith('stream:')) {
    yield { type: 'text_delta', text: 'first part' };
    const outcome = await Promise.race([
      streamGate.opened.then(() => 'open'),
      aborted(call).then(() => 'aborted'),
    ]);
    if (outcome === 'aborted') return;
    yield { type: 'text_delta', text: ' second part' };
  } else if (prompt === 'run the command') {
    if (toolResult === undefined)
      return yield* toolCallReply('sh1', 'shell_exec', { command: 'echo approved-$((40+2))' });
    yield { type: 'text_delta', text: `tool said: ${toolResult}` };
  } else if (prompt === 'delegate the work') {
    if (toolResult === undefined)
      return yield* toolCallReply('d1', 'delegate_to_agent', { agent: 'writer', task: 'slow sub-task' });
    yield { type: 'text_delta', text: `sub-agent came back: ${toolResult.slice(0, 80)}` };
  } else if (prompt.includes('slow sub-task')) {
    yield { type: 'text_delta', text: 'sub-agent working' };
    await aborted(call);
    return;
  } else if (prompt === 'markdown please') {
    // Streamed in pieces, as a model would: the HTML arrives split across deltas.
    for (let i = 0; i < MARKDOWN_ANSWER.length; i += 17)
      yield { type: 'text_delta', text: MARKDOWN_ANSWER.slice(i, i + 17) };
  } else if (poet) {
    yield { type: 'text_delta', text: `poet answers: ${prompt}` };
  } else if (prompt === 'write a file') {
    if (toolResult === undefined)
      return yield* toolCallReply('w1', 'file_write', { path: 'notes.txt', content: 'from the agent\n' });
    yield { type: 'text_delta', text: 'wrote notes.txt' };
  } else {
    for (const word of `echo: ${prompt}`.split(/(?= )/)) yield { type: 'text_delta', text: word };
  }
  yield { type: 'usage', usage: { inputTokens: 12, outputTokens: 5 } };
  yield { type: 'finish', reason: 'stop' };
};

/** Evaluated in the page: the form controls and buttons that have no accessible name. */
const UNNAMED_CONTROLS = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
    || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))`;

/** The focused element's text, evaluated in the page. */
const FOCUSED =
  "document.activeElement ? (document.activeElement.id || '') + '|' + document.activeElement.textContent : ''";

let env: TestGateway;
let browser: Browser;
/** Every tab's context: each tab has its own sessionStorage, and the app's scripts load from cache. */
let shared: BrowserContext;
const open: OpenPage[] = [];

/** A new tab, logged in, on the given page (by its navigation label). */
async function dashboard(label?: string, viewport = LAPTOP, token = TOKEN): Promise<OpenPage> {
  const tab = await openPage(shared, `${env.gateway.url}/`, viewport);
  open.push(tab);
  await logIn(tab.page, token);
  if (label) await visit(tab.page, label);
  return tab;
}

async function chatTurn(page: Page, prompt: string): Promise<void> {
  await page.getByLabel('Message').fill(prompt);
  await page.getByLabel('Message').press('Enter');
}

/** The chat's idle again: the Send button is back. */
async function turnEnded(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Send' }).waitFor();
}

describe.skipIf(NO_BROWSER !== undefined)(
  `the web dashboard in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
  () => {
    beforeAll(async () => {
      if (!existsSync(join(WEB_ROOT, 'index.html')))
        throw new Error(
          'packages/web/dist is not built: run npm run build (the test setup builds it when stale)',
        );
      const dir = mkdtempSync(join(tmpdir(), 'oxydra-web-e2e-'));
      mkdirSync(join(dir, '.oxydra'));
      env = await startTestGateway(
        {
          webRoot: WEB_ROOT,
          model: new ScriptedModel(script),
          // The memory database inside .oxydra/, which checkpoints never capture (an undo must not
          // put back the database under the running gateway).
          config: {
            agents: { writer: {}, poet: { description: 'writes verse', system_prompt: POET_PROMPT } },
            tools: { approval: 'ask' },
            memory: { db_path: join(dir, '.oxydra', 'memory.db') },
            scheduler: { enabled: true },
          },
        },
        { dir },
      );
      browser = await launch();
      shared = await sharedContext(browser);
    }, 60_000);

    // Each test's tabs close when it ends: a tab left open keeps its renderer, its WebSocket and
    // its event stream busy through every later test (25 of them by the end of the file), which
    // slowed the later tests on a loaded 2-core machine. No test reads another test's tab.
    afterEach(async () => {
      for (const tab of open.splice(0)) await tab.page.close().catch(() => {});
    });

    afterAll(async () => {
      await browser?.close();
      await env?.cleanup();
    });

    it('logs in with the token, keeps it in sessionStorage only (never the URL), and logs out', async () => {
      const { page, problems } = await openPage(shared, `${env.gateway.url}/`);
      open.push({ page, problems, context: page.context() });
      await page.getByRole('heading', { name: 'Oxydra' }).waitFor();
      await screenshot(page, 'login');
      await page.getByLabel('Gateway token').fill('not-the-token-0123456789');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('refused');
      await logIn(page, TOKEN);
      expect(page.url()).not.toContain(TOKEN);
      // Strings, evaluated in the page (the tests are compiled without the DOM's types).
      const stored = (await page.evaluate(
        '({ session: Object.values({ ...sessionStorage }), local: Object.keys({ ...localStorage }), cookie: document.cookie })',
      )) as { session: string[]; local: string[]; cookie: string };
      expect(stored.session).toContain(TOKEN);
      expect(stored.local).toEqual([]);
      expect(stored.cookie).toBe('');
      // A reload keeps the tab signed in; logging out forgets the token.
      await page.reload();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('Gateway token').waitFor();
      expect(await page.evaluate('Object.values({ ...sessionStorage })')).not.toContain(TOKEN);
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    });

    it('works with the keyboard alone: sign in, reach a page, focus its heading, fold the phone menu', async () => {
      const { page, problems } = await openPage(shared, `${env.gateway.url}/`);
      open.push({ page, problems, context: page.context() });
      await page.getByLabel('Gateway token').waitFor();
      expect(await page.evaluate('document.activeElement?.id')).toBe('token');
      await page.keyboard.type(TOKEN);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      let tabs = 0;
      while (!((await page.evaluate(FOCUSED)) as string).endsWith('|Sessions')) {
        if (++tabs > 30) throw new Error('Tab never reached the Sessions link');
        await page.keyboard.press('Tab');
      }
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
      await pollUntil(
        async () => ((await page.evaluate(FOCUSED)) as string).startsWith('page-title|'),
        'focus on the heading',
        { timeoutMs: 15_000 },
      );

      const phone = await dashboard(undefined, PHONE);
      const nav = phone.page.getByRole('navigation', { name: 'Dashboard' });
      expect(await nav.isVisible()).toBe(false);
      await phone.page.getByRole('button', { name: 'Menu' }).focus();
      await phone.page.keyboard.press('Enter');
      await nav.waitFor();
      expect(await phone.page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded')).toBe(
        'true',
      );
      // The menu listens for Escape once it has rendered open; a person never presses it sooner.
      await pollUntil(
        async () => {
          await phone.page.keyboard.press('Escape');
          return !(await nav.isVisible());
        },
        'Escape to close the menu',
        { timeoutMs: 15_000 },
      );
      expect(await phone.page.evaluate(FOCUSED)).toBe('|Menu');
      expect([...problems, ...phone.problems]).toEqual([]);
    });

    it('streams a chat turn, cancels one, and switches sessions', async () => {
      const { page, problems } = await dashboard();
      await page.getByRole('heading', { name: 'Chat' }).waitFor();
      await page.getByText('connected', { exact: true }).waitFor();
      streamGate = new Gate();
      await chatTurn(page, 'stream: tell me');
      // The first half is on screen while the model still holds the second.
      const answer = page.locator('.msg-assistant').last();
      await page.locator('.msg-assistant[data-streaming="true"]', { hasText: 'first part' }).waitFor();
      expect(await answer.textContent()).not.toContain('second part');
      await page.getByRole('button', { name: 'Cancel' }).waitFor();
      await screenshot(page, 'chat-streaming');
      streamGate.release();
      await page
        .locator('.msg-assistant[data-streaming="false"]', { hasText: 'first part second part' })
        .waitFor();
      await turnEnded(page);

      // Cancel: the held answer stops, the turn ends as cancelled.
      streamGate = new Gate();
      await chatTurn(page, 'stream: cancel me');
      await page.locator('.msg-assistant[data-streaming="true"]').waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByText('Turn cancelled.').waitFor();
      await turnEnded(page);

      // A new session starts empty; the switcher brings the first one back with its transcript.
      const first = await page.getByLabel('Session').inputValue();
      await page.getByRole('button', { name: 'New session' }).click();
      await pollUntil(
        async () => (await page.getByLabel('Session').inputValue()) !== first,
        'the new session',
        { timeoutMs: 15_000 },
      );
      await page.getByText('No messages yet.').waitFor();
      await chatTurn(page, 'hello from the second session');
      await page.locator('.msg-assistant', { hasText: 'echo: hello from the second session' }).waitFor();
      await turnEnded(page);
      await page.getByLabel('Session').selectOption(first);
      await page.locator('.msg-assistant', { hasText: 'first part second part' }).waitFor();
      expect(await page.locator('.transcript').textContent()).not.toContain('hello from the second session');
      expect(problems).toEqual([]);
    });

    it('asks approvals inline: Allow runs the command, Deny does not', async () => {
      const { page, problems } = await dashboard();
      await page.getByText('connected', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'New session' }).click();
      await page.getByText('No messages yet.').waitFor();
      await chatTurn(page, 'run the command');
      const card = page.getByRole('listitem', { name: 'Approval for shell_exec' });
      await card.waitFor();
      expect(await card.textContent()).toContain('echo approved-$((40+2))');
      // Said as what will happen, not as if it had: nobody has answered yet.
      expect(await card.textContent()).toMatch(/Will be denied at .+ if nobody answers/);
      await screenshot(page, 'chat-approval');
      await card.getByRole('button', { name: 'Allow' }).click();
      await card.getByText('allowed').waitFor();
      await page.locator('.msg-assistant', { hasText: 'tool said:' }).waitFor();
      // The activity lines say what ran and what came of it, not just the tool's name.
      const activity = await page.locator('.tool-line').allTextContents();
      console.log('ACTIVITY', JSON.stringify(activity));
      expect(activity.some((line) => line.includes('running shell_exec echo approved-$((40+2))'))).toBe(true);
      expect(activity.some((line) => /shell_exec finished in \d+ ms: .*approved-42/.test(line))).toBe(true);
      expect(await page.locator('.msg-assistant').last().textContent()).toContain('approved-42');
      await turnEnded(page);

      await chatTurn(page, 'run the command');
      const second = page.getByRole('listitem', { name: 'Approval for shell_exec' }).nth(1);
      await second.getByRole('button', { name: 'Deny' }).click();
      await second.getByText('denied').waitFor();
      await turnEnded(page);
      const answers = await page.locator('.msg-assistant').allTextContents();
      expect(answers.at(-1)).toContain('tool said:');
      expect(answers.at(-1)).not.toContain('approved-42');
      expect(env.kernel.approvals.pending()).toEqual([]);
      expect(problems).toEqual([]);
    });

    it('shows a running sub-agent in the agents tree and kills it from there', async () => {
      const chat = await dashboard();
      await chat.page.getByText('connected', { exact: true }).waitFor();
      await chatTurn(chat.page, 'delegate the work');
      await pollUntil(() => env.spawns.some((s) => s.agentName === 'writer'), 'the sub-agent to start');
      const sub = env.spawns.find((s) => s.agentName === 'writer')!;

      const { page, problems } = await dashboard('Agents');
      const node = page.locator(`[data-agent-id="${sub.agentId}"]`);
      await node.waitFor();
      // It is drawn under its parent, the turn's agent.
      const parentId = env.kernel.agents.get(sub.agentId)?.parentId;
      expect(parentId).toBeTruthy();
      expect(
        await page.locator(`[data-agent-id="${parentId}"] [data-agent-id="${sub.agentId}"]`).count(),
      ).toBe(1);
      await page.getByText('live', { exact: true }).waitFor();
      await screenshot(page, 'agents');
      await node.getByRole('button', { name: /^Kill writer/ }).click();
      await pollUntil(() => sub.killed, 'the sub-agent to be killed');
      // The event stream takes it off the tree of running agents.
      await node.waitFor({ state: 'detached' });
      await chat.page.locator('.msg-assistant', { hasText: 'sub-agent came back' }).waitFor();
      expect(problems).toEqual([]);
    });

    it('lists sessions, searches them and shows a transcript', async () => {
      const { page, problems } = await dashboard();
      await page.getByText('connected', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'New session' }).click();
      await page.getByText('No messages yet.').waitFor();
      await chatTurn(page, 'the zebra crossing');
      await page.locator('.msg-assistant', { hasText: 'echo: the zebra crossing' }).waitFor();
      await turnEnded(page);

      await visit(page, 'Sessions');
      await settled(page);
      const rows = page.locator('tbody tr');
      expect(await rows.count()).toBeGreaterThanOrEqual(3);
      await screenshot(page, 'sessions');
      await page.getByLabel('Search').fill('zebra');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await pollUntil(async () => (await rows.count()) === 1, 'one matching session', { timeoutMs: 15_000 });
      await rows.first().getByRole('link').click();
      await page.getByRole('heading', { level: 1, name: 'the zebra crossing' }).waitFor();
      await page.getByRole('list', { name: 'Transcript' }).getByText('echo: the zebra crossing').waitFor();
      await screenshot(page, 'session-transcript');
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export Markdown' }).click();
      const saved = await (await download).path();
      expect(readFileSync(saved, 'utf8')).toContain('the zebra crossing');
      expect(problems).toEqual([]);
    });

    it('shows a spec run on its session page: the directive and each attempt per criterion', async () => {
      const outcome = await runSpec(env.kernel, {
        input: { request: 'write the spec report', criteria: ['file: spec-report.md exists'] },
        spawn: {},
        maxAttempts: 1,
      });
      const { page, problems } = await dashboard();
      await page.goto(`${env.gateway.url}/#/sessions/${encodeURIComponent(outcome.sessionId!)}`);
      const panel = page.getByRole('region', { name: 'Spec run' });
      await panel.getByText('spec-report.md does not exist').waitFor();
      const text = await panel.textContent();
      expect(text).toContain('write the spec report');
      expect(text).toContain('1 of 1 attempts');
      expect(text).toContain('file: spec-report.md exists');
      await screenshot(page, 'session-spec-run');
      expect(problems).toEqual([]);
    });

    it('names the default session "Default session", shows titles as text, and sorts a table by a column', async () => {
      // A plain hello (no session id) attaches dana's default session, runtime-dana; its first
      // message titles it in the store, and the list still calls it the default session.
      const plain = await TestClient.hello(env.wsUrl, { user_id: 'dana' });
      const defaultId = plain.ack.payload.session.session_id;
      plain.client.close();
      expect(defaultId).toBe('runtime-dana');
      const store = env.kernel.sessions!;
      await store.appendTurn(defaultId, [{ role: 'user', content: 'good morning' }]);
      // Another session titled by hostile text: it shows as characters, never as markup.
      const hostile = await store.create({ userId: 'dana' });
      await store.appendTurn(hostile.id, [
        { role: 'user', content: '<img src=x onerror="document.title=\'pwned\'"> \u001b[31mhi' },
        { role: 'assistant', content: 'one' },
        { role: 'user', content: 'two' },
      ]);

      const { page, problems } = await dashboard('Sessions');
      await settled(page);
      const row = page.getByRole('row').filter({ hasText: 'runtime-dana' });
      expect(await row.getByRole('link').textContent()).toBe('Default session');
      expect(await row.locator('code').textContent()).toBe('runtime-dana');
      const titled = page.getByRole('row').filter({ hasText: hostile.id });
      expect(await titled.getByRole('link').textContent()).toBe(
        '<img src=x onerror="document.title=\'pwned\'"> hi',
      );
      expect(await page.locator('tbody img').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');

      // Sort by message count from the keyboard: ascending, then descending, said by aria-sort.
      const header = page.getByRole('columnheader', { name: /Messages/ });
      const counts = async () =>
        (await page.locator('td[data-label="Messages"]').allTextContents()).map((text) =>
          Number(text.replace(/\D/g, '')),
        );
      const before = await counts();
      expect(await header.getAttribute('aria-sort')).toBe('none');
      expect(await page.getByRole('columnheader', { name: 'User' }).getAttribute('aria-sort')).toBe('none');
      await header.getByRole('button').focus();
      await page.keyboard.press('Enter');
      await pollUntil(
        async () => (await header.getAttribute('aria-sort')) === 'ascending',
        'aria-sort ascending',
        { timeoutMs: 15_000 },
      );
      const ascending = await counts();
      expect(ascending).toEqual([...before].sort((a, b) => a - b));
      expect(ascending[0]).toBeLessThan(ascending.at(-1)!);
      await page.keyboard.press('Enter');
      await pollUntil(
        async () => (await header.getAttribute('aria-sort')) === 'descending',
        'aria-sort descending',
        { timeoutMs: 15_000 },
      );
      expect(await counts()).toEqual([...before].sort((a, b) => b - a));
      await screenshot(page, 'sessions-sorted');

      // The chat's session picker names it too: a new tab says hello without a session id.
      const chat = await dashboard();
      await chat.page.getByText('connected', { exact: true }).waitFor();
      const picker = chat.page.getByLabel('Session');
      await pollUntil(
        async () =>
          (await picker.locator('option:checked').textContent())?.startsWith('Default session') === true,
        'the picker naming the default session',
        { timeoutMs: 15_000 },
      );
      expect(await picker.inputValue()).toMatch(/^runtime-/);
      expect([...problems, ...chat.problems]).toEqual([]);
    });

    it('undoes a run from the checkpoints page', async () => {
      const { page, problems } = await dashboard();
      await page.getByText('connected', { exact: true }).waitFor();
      await chatTurn(page, 'write a file');
      await page.locator('.msg-assistant', { hasText: 'wrote notes.txt' }).waitFor();
      const notes = join(env.workspace, 'notes.txt');
      expect(readFileSync(notes, 'utf8')).toBe('from the agent\n');

      // On to the checkpoints in the same tab, as a person would (a second tab cost a browser
      // renderer and a login, and showed nothing more).
      await visit(page, 'Checkpoints');
      await settled(page);
      const run = page.locator('[data-run]').first();
      await run.getByRole('button', { name: /^Diff/ }).click();
      await run.getByText('notes.txt').waitFor();
      await screenshot(page, 'checkpoints');
      await run.getByRole('button', { name: /^Undo/ }).click();
      await page.getByRole('status').filter({ hasText: 'Undid' }).waitFor();
      expect(existsSync(notes)).toBe(false);
      expect(problems).toEqual([]);
    });

    it('verifies the audit chain, then names the entry a tampering broke', async () => {
      const { page, problems } = await dashboard('Audit log');
      await settled(page);
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.locator('.verify-ok').getByText('OK').waitFor();
      await screenshot(page, 'audit-ok');

      const db = new Database(join(env.workspace, '.oxydra', 'kernel.db'));
      const row = db.prepare('SELECT seq, resource FROM audit_log ORDER BY seq LIMIT 1 OFFSET 1').get() as {
        seq: number;
        resource: string | null;
      };
      db.prepare('UPDATE audit_log SET resource = ? WHERE seq = ?').run('tampered.txt', row.seq);
      try {
        await page.getByRole('button', { name: 'Verify chain' }).click();
        const broken = page.locator('.verify-broken');
        await broken.waitFor();
        expect(await broken.textContent()).toContain(`#${row.seq}`);
        await page.locator(`tr.broken[data-seq="${row.seq}"]`).waitFor();
        await screenshot(page, 'audit-broken');
      } finally {
        db.prepare('UPDATE audit_log SET resource = ? WHERE seq = ?').run(row.resource, row.seq);
        db.close();
      }
      expect(problems).toEqual([]);
    });

    it('creates, pauses, resumes, runs and deletes a schedule; adds, finds and deletes a note', async () => {
      const { page, problems } = await dashboard('Schedules');
      await settled(page);
      await page.getByText('New schedule').click();
      await page.getByLabel('Prompt').fill('summarise the day');
      await page.getByLabel('Timing').selectOption('every');
      await page.getByLabel('When').fill('1h');
      await page.getByLabel('Name (optional)').fill('daily-summary');
      await page.getByRole('button', { name: 'Create' }).click();
      const card = page.getByRole('listitem').filter({ hasText: 'daily-summary' });
      await card.getByText('enabled', { exact: true }).waitFor();
      await card.getByRole('button', { name: 'Pause' }).click();
      await card.getByText('paused', { exact: true }).waitFor();
      expect(
        (await (await env.kernel.service('scheduler')).list()).find((s) => s.name === 'daily-summary')
          ?.enabled,
      ).toBe(false);
      await card.getByRole('button', { name: 'Resume' }).click();
      await card.getByText('enabled', { exact: true }).waitFor();
      await card.getByRole('button', { name: 'Run now' }).click();
      await page.getByText('Started a run of daily-summary.').waitFor();
      // The finished run is announced over the WebSocket, as a notice in the corner.
      await page.locator('.toast', { hasText: 'Schedule daily-summary completed' }).waitFor();
      await card.getByRole('link', { name: 'History' }).click();
      await pollUntil(async () => (await card.locator('tbody tr').count()) >= 1, 'the run in the history', {
        timeoutMs: 15_000,
      });
      await card.locator('tbody tr').first().getByText('completed').waitFor();
      await screenshot(page, 'schedules');
      await card.getByRole('button', { name: 'Delete' }).click();
      await card.waitFor({ state: 'detached' });
      expect(
        (await (await env.kernel.service('scheduler')).list()).some((s) => s.name === 'daily-summary'),
      ).toBe(false);

      await visit(page, 'Memory');
      await settled(page);
      await page.getByLabel('New note').fill('The deploy password rotates every Tuesday');
      await page.getByLabel('Tags (comma-separated, optional)').fill('ops, deploy');
      await page.getByRole('button', { name: 'Add note' }).click();
      const note = page
        .getByRole('list', { name: 'Notes' })
        .getByRole('listitem')
        .filter({ hasText: 'rotates every Tuesday' });
      await note.waitFor();
      await page.getByLabel('Search memory').fill('deploy password');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page
        .getByRole('list', { name: 'Results for deploy password' })
        .getByText('rotates every Tuesday')
        .waitFor();
      await screenshot(page, 'memory');
      await note.getByRole('button', { name: /^Delete note/ }).click();
      await note.waitFor({ state: 'detached' });
      expect(problems).toEqual([]);
    });

    it('sets a cap, and a raise waits on the approvals page until approved', async () => {
      const { page, problems } = await dashboard('Budgets', LAPTOP);
      await settled(page);
      const setCap = async (value: string) => {
        await page.getByLabel('For', { exact: true }).selectOption('user');
        await page.getByLabel('Name', { exact: true }).fill('default');
        await page.getByLabel('Cap', { exact: true }).selectOption('daily_usd');
        await page.getByLabel('Value (empty removes it)').fill(value);
        await page.getByRole('button', { name: 'Save' }).click();
      };
      await setCap('5');
      await page.getByText('Set daily_usd for user default.').waitFor();
      await page.getByRole('meter', { name: /user:default daily_usd/ }).waitFor();
      await setCap('50');
      await page.getByText(/needs a second person/).waitFor();
      await screenshot(page, 'budgets');

      // The one who asked cannot decide: another admin, with a token of their own, approves it.
      await visit(page, 'Approvals');
      await settled(page);
      await page.getByRole('listitem').filter({ hasText: 'budget_set' }).waitFor();
      const bob = await (await env.kernel.service('tokens')).add('bob', 'admin', 'second admin', 'test');
      const second = await dashboard('Approvals', LAPTOP, bob.token);
      await second.page.getByText(`token ${bob.id} · admin`).waitFor();
      const pending = second.page.getByRole('listitem').filter({ hasText: 'budget_set' });
      await pending.waitFor();
      await screenshot(second.page, 'approvals');
      await pending.getByRole('button', { name: 'Approve' }).click();
      await second.page.getByText('Nothing is waiting for approval.').waitFor();
      // The first admin's page hears it from the event stream.
      await page.getByText('Nothing is waiting for approval.').waitFor();
      const cap = (await (await env.kernel.service('budgets')).show())
        .find((b) => b.scope === 'user:default')
        ?.caps.find((c) => c.key === 'daily_usd');
      expect(cap?.limit).toBe(50);
      expect(problems).toEqual([]);
      expect(second.problems).toEqual([]);
    });

    it('keeps the approvals queue live: a request appears, and leaves once approved, without a reload', async () => {
      const { page, problems } = await dashboard('Approvals');
      let reads = 0;
      page.on('request', (request) => {
        if (request.method() === 'GET' && new URL(request.url()).pathname === '/api/v1/approvals') reads += 1;
      });
      await page.getByText('live', { exact: true }).waitFor();
      await page.getByText('Nothing is waiting for approval.').waitFor();
      const dave = await (await env.kernel.service('tokens')).add('dave', 'admin', 'second admin', 'test');
      const second = await dashboard('Approvals', LAPTOP, dave.token);
      await second.page.getByText('live', { exact: true }).waitFor();
      // A mark in the page that a reload would wipe.
      await page.evaluate('window.__sameDocument = true');
      const readsBefore = reads;

      // A cap raise asked for by the owner's token (over the REST API, as any client would).
      const putCap = (value: number) =>
        fetch(`${env.gateway.url}/api/v1/budgets`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'carol', key: 'daily_usd', value }),
        });
      expect((await putCap(2)).status).toBe(200);
      const raised = await putCap(20);
      expect(raised.status).toBe(202);
      const { approval } = (await raised.json()) as { approval: { id: string } };

      const card = page.locator(`[data-approval="${approval.id}"]`);
      await card.waitFor();
      expect(await card.textContent()).toContain('budget_set');
      const theirs = second.page.locator(`[data-approval="${approval.id}"]`);
      await theirs.waitFor();
      await screenshot(page, 'approvals-live');
      await theirs.getByRole('button', { name: 'Approve' }).click();
      await theirs.waitFor({ state: 'detached' });
      // Gone from the first page too: same document, and no request read the queue again.
      await card.waitFor({ state: 'detached' });
      await page.getByText('Nothing is waiting for approval.').waitFor();
      expect(await page.evaluate('window.__sameDocument')).toBe(true);
      expect(reads).toBe(readsBefore);
      expect(await page.locator('[aria-live="polite"]').allTextContents()).toContain(
        `budget_set ${approval.id} was approved by token:${dave.id}.`,
      );
      expect(
        (await (await env.kernel.service('budgets')).show())
          .find((b) => b.scope === 'user:carol')
          ?.caps.find((c) => c.key === 'daily_usd')?.limit,
      ).toBe(20);
      expect(problems).toEqual([]);
      expect(second.problems).toEqual([]);
    });

    it('runs a new session with the agent chosen for it, picked with the keyboard', async () => {
      const { page, problems } = await dashboard();
      await page.getByText('connected', { exact: true }).waitFor();
      const picker = page.getByLabel('Agent', { exact: true });
      await pollUntil(async () => (await picker.locator('option').count()) === 3, 'the configured agents', {
        timeoutMs: 15_000,
      });
      expect(await picker.locator('option').allTextContents()).toEqual([
        'default (gpt-4o-mini)',
        'writer (gpt-4o-mini)',
        'poet (gpt-4o-mini)',
      ]);
      expect(await picker.inputValue()).toBe('default');
      // Keyboard only: Tab reaches the picker, the arrow keys choose, Tab and Enter start the session.
      await page.getByLabel('Session', { exact: true }).focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.id')).toBe('new-session-agent');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await pollUntil(async () => (await picker.inputValue()) === 'poet', 'poet chosen', {
        timeoutMs: 15_000,
      });
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.textContent')).toBe('New session');
      const before = await page.getByLabel('Session', { exact: true }).inputValue();
      await page.keyboard.press('Enter');
      await pollUntil(
        async () => (await page.getByLabel('Session', { exact: true }).inputValue()) !== before,
        'the new session',
        { timeoutMs: 15_000 },
      );
      await page.getByText('No messages yet.').waitFor();
      await page.locator('.session-agent', { hasText: 'This session runs poet' }).waitFor();
      await chatTurn(page, 'who are you');
      await page.locator('.msg-assistant', { hasText: 'poet answers: who are you' }).waitFor();
      await turnEnded(page);
      const sessionId = await page.getByLabel('Session', { exact: true }).inputValue();
      expect(env.spawns.findLast((s) => s.prompt.includes('who are you'))?.agentName).toBe('poet');
      expect((await env.kernel.sessions!.get(sessionId))?.agent).toBe('poet');
      await screenshot(page, 'chat-agent');

      // The choice is kept for the next new session until changed; back to default, the default answers.
      await picker.selectOption('default');
      await page.getByRole('button', { name: 'New session' }).click();
      await page.locator('.session-agent', { hasText: 'This session runs default' }).waitFor();
      await chatTurn(page, 'who are you');
      await page.locator('.msg-assistant', { hasText: 'echo: who are you' }).waitFor();
      await turnEnded(page);
      // Switching back to the poet's session says so.
      await page.getByLabel('Session', { exact: true }).selectOption(sessionId);
      await page.locator('.session-agent', { hasText: 'This session runs poet' }).waitFor();
      expect(problems).toEqual([]);
    });

    it("renders the model's Markdown, while its HTML shows as text and runs nothing", async () => {
      const { page, problems } = await dashboard();
      await page.getByText('connected', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'New session' }).click();
      await page.getByText('No messages yet.').waitFor();
      await chatTurn(page, 'markdown please');
      const answer = page.locator('.msg-assistant').last();
      await answer.locator('pre code').waitFor();
      await turnEnded(page);
      await screenshot(page, 'chat-markdown');
      // A list and a code block.
      expect(await answer.locator('ul > li').allTextContents()).toEqual(['alpha', 'beta']);
      expect(await answer.locator('ul strong').textContent()).toBe('beta');
      expect(await answer.locator('pre code').textContent()).toBe('const x = 1 < 2;\n');
      // The HTML is text: no element made, nothing run, the words on screen as the model wrote them.
      expect(await answer.locator('script, img, [onerror]').count()).toBe(0);
      const text = (await answer.textContent()) ?? '';
      expect(text).toContain('<script>window.__pwned = 1</script>');
      expect(text).toContain('<img src=x onerror="window.__pwned = 2">');
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      // Only the http(s) link is a link: new tab, no opener, no referrer; the others stay text.
      const links = answer.locator('a');
      expect(await links.count()).toBe(2);
      const docs = answer.getByRole('link', { name: 'the docs' });
      expect(await docs.getAttribute('href')).toBe('https://example.com/docs');
      expect(await docs.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await docs.getAttribute('target')).toBe('_blank');
      expect(text).toContain('[bad](javascript:window.__pwned=3)');
      expect(text).toContain('[inside](/api/v1/me)');
      // An image is a link to it (the page's policy loads no image from elsewhere).
      expect(await answer.getByRole('link', { name: 'image: pic' }).getAttribute('href')).toBe(
        'https://example.com/p.png',
      );
      // The stored transcript (the sessions page) renders it the same way.
      const sessionId = await page.getByLabel('Session', { exact: true }).inputValue();
      await page.goto(`${env.gateway.url}/#/sessions/${encodeURIComponent(sessionId)}`);
      const stored = page.getByRole('list', { name: 'Transcript' }).locator('.msg-assistant').last();
      await stored.locator('pre code').waitFor();
      expect(await stored.locator('script, img').count()).toBe(0);
      expect(await stored.textContent()).toContain('<script>window.__pwned = 1</script>');
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(problems).toEqual([]);
    });

    it('shows a channel running with its bot, and a send the platform refused', async () => {
      // What a running `oxydra channels run` leaves in the workspace's channel database.
      const store = openChannelStore(channelDbPath(env.workspace));
      const now = new Date().toISOString();
      await store.recordHealth('telegram', {
        botName: '@dashboard_bot',
        pid: 4242,
        host: 'box',
        role: 'oxydra channels run',
        startedAt: now,
        heartbeatAt: now,
        lastReceiveAt: now,
      });
      await store.enqueue('telegram', [{ key: 'r1', chatId: '777', text: 'the answer that never arrived' }]);
      await store.markFailed(
        'telegram',
        'r1',
        'Telegram sendMessage: 403 Forbidden: bot was blocked by the user',
      );
      await store.close();
      const { page, problems } = await dashboard('Channels');
      const card = page.getByRole('article', { name: /telegram/ });
      await card.getByText('@dashboard_bot').waitFor();
      expect(await card.locator('.badge').first().textContent()).toBe('running');
      // Which process answers it (another one than this gateway's).
      expect(await card.textContent()).toContain('oxydra channels run (pid 4242 on box');
      const failures = page.getByRole('table', { name: /refused for good/ });
      const row = failures.getByRole('row', { name: /777/ });
      expect(await row.textContent()).toContain('403 Forbidden: bot was blocked by the user');
      expect(await row.textContent()).toContain('the answer that never arrived');
      await screenshot(page, 'channels');
      expect(problems).toEqual([]);
    });

    it('shows an empty configuration table by its name, never as a bare "{}"', async () => {
      const { page, problems } = await dashboard('Configuration');
      await page.locator('.config').waitFor();
      expect(await page.locator('.config span, .config code', { hasText: /^\{\}$/ }).count()).toBe(0);
      // [plugins] load is empty in this gateway's configuration: named, and said to be empty.
      expect(await page.locator('.config-empty', { hasText: 'load' }).first().textContent()).toMatch(
        /^load\s+\(none set\)$/,
      );
      expect(problems).toEqual([]);
    });

    it('renders every page without an error, at a laptop and a phone width', async () => {
      const pages = [
        'Chat',
        'Sessions',
        'Agents',
        'Approvals',
        'Schedules',
        'Memory',
        'Channels',
        'Audit log',
        'Checkpoints',
        'Budgets',
        'Costs',
        'Health',
        'Configuration',
      ];
      const headings: Record<string, string | RegExp> = {
        Budgets: 'Budgets and caps',
        Health: 'Health and resources',
      };
      // Every page is shot before anything is asserted, so one broken page leaves the others' pictures.
      const failures: string[] = [];
      for (const [width, viewport] of [
        ['laptop', LAPTOP],
        ['phone', PHONE],
      ] as const) {
        const { page, problems } = await dashboard(undefined, viewport);
        for (const label of pages) {
          await visit(page, label, headings[label] ?? label);
          await settled(page);
          // A phone's shot is its screen: what a person sees first.
          await screenshot(
            page,
            `page-${label.toLowerCase().replace(/\s+/g, '-')}-${width}`,
            width === 'laptop',
          );
          for (const error of await page.locator('.error-box').allTextContents())
            failures.push(`${label} at ${width} width: ${error}`);
          // Every field and button has a name a screen reader can say.
          const unnamed = (await page.evaluate(UNNAMED_CONTROLS)) as string[];
          for (const control of unnamed)
            failures.push(`${label} at ${width} width: no accessible name: ${control}`);
          // Nothing wider than the screen: a phone scrolls down, never sideways (tables scroll in their box).
          const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
          if ((overflow as number) > 0) failures.push(`${label} at ${width} width is ${overflow}px too wide`);
        }
        failures.push(...problems.map((problem) => `${width}: ${problem}`));
      }
      expect(failures).toEqual([]);
      // 24 visits with full-page screenshots: on a shared 2-core machine (load 10+) this took
      // 26-35 s before and after the shared table, so the default 30 s bound failed at random.
    }, 120_000);
  },
);
