/**
 * The web dashboard's chat and sessions end to end, in headless Chromium on a real gateway whose
 * model is scripted (dashboard-e2e-helpers.ts). Log in with the token (kept in sessionStorage,
 * never in the URL) and with the keyboard alone; a chat turn streams, is cancelled, asks approvals
 * that are allowed and denied inline; a running sub-agent shows in the agents tree and is killed
 * from it; sessions are listed, searched and read (a spec run's panel with its per-criterion
 * results); a new session runs the agent chosen for it; the model's Markdown renders, its HTML
 * shows as text and runs nothing. The other pages: dashboard-pages-e2e.test.ts.
 */
import { readFileSync } from 'node:fs';
import { Gate, ownerSessions, TOKEN } from '@oxydra/gateway/testing/helpers';
import { runSpec } from '@oxydra/kernel/spec';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { logIn, NO_BROWSER, openPage, PHONE, screenshot, settled, visit } from './browser.js';
import {
  chatTurn,
  dashboard,
  dashboardScript,
  env,
  FOCUSED,
  open,
  shared,
  turnEnded,
  useDashboard,
} from './dashboard-e2e-helpers.js';

/** Released by the streaming test: the answer's second half waits for it. */
let streamGate = new Gate();

describe.skipIf(NO_BROWSER !== undefined)(
  `the web dashboard's chat and sessions in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
  () => {
    useDashboard(dashboardScript(() => streamGate));

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
      expect((await (await ownerSessions(env.kernel)).get(sessionId))?.agent).toBe('poet');
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
  },
);
