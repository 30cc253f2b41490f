/**
 * The web dashboard's pages end to end, in headless Chromium on a real gateway whose model is
 * scripted (dashboard-e2e-helpers.ts): the default session and hostile titles in the sessions
 * table, sorted from the keyboard; a run undone from the checkpoints page; the audit chain
 * verified, then shown broken at the entry a tampering changed; schedules and notes through their
 * forms; a cap raise approved by a second admin, and the approvals queue updating live from the
 * event stream (no reload, no polling); a channel's health and refused sends; the configuration;
 * every page screenshotted at a laptop's and a phone's width (test-artifacts/web/) with no error.
 * The chat and sessions: dashboard-chat-e2e.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { helloClient } from '@oxydra/gateway/testing/hello-client';
import { ownerSessions, TOKEN } from '@oxydra/gateway/testing/helpers';
import { pollUntil } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { LAPTOP, NO_BROWSER, PHONE, screenshot, settled, visit } from './browser.js';
import {
  chatTurn,
  dashboard,
  dashboardScript,
  env,
  UNNAMED_CONTROLS,
  useDashboard,
} from './dashboard-e2e-helpers.js';

describe.skipIf(NO_BROWSER !== undefined)(
  `the web dashboard's pages in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
  () => {
    useDashboard(dashboardScript());

    it('names the default session "Default session", shows titles as text, and sorts a table by a column', async () => {
      // A plain hello (no session id) attaches dana's default session, runtime-dana; its first
      // message titles it in the store, and the list still calls it the default session.
      const plain = await helloClient(env.wsUrl, { user_id: 'dana' }, TOKEN);
      const defaultId = plain.ack.session.session_id;
      await plain.client.close();
      expect(defaultId).toBe('runtime-dana');
      const store = await ownerSessions(env.kernel);
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
