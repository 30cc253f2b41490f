/**
 * What the dashboard's end-to-end files share (dashboard-chat-e2e.test.ts,
 * dashboard-pages-e2e.test.ts): the scripted model, a real gateway over a real kernel serving the
 * built app (packages/web/dist), one headless Chromium, and the steps a person takes in it. Each
 * file starts its own gateway and browser through useDashboard (one per file, not per test).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Gate,
  type ModelCall,
  type Script,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from '@oxydra/gateway/testing/helpers';
import type { Message } from '@oxydra/types';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { LAPTOP, launch, logIn, type OpenPage, openPage, sharedContext, visit } from './browser.js';

const WEB_ROOT = fileURLToPath(new URL('../dist/', import.meta.url));

function textOf(message: Message | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Waits until the call is aborted (a cancelled turn, a killed agent). */
function aborted(call: ModelCall): Promise<void> {
  return new Promise((resolve) => {
    if (call.signal.aborted) resolve();
    call.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

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

/**
 * One script for every model call, chosen by the turn's prompt (the last user message). A
 * "stream:" prompt's second half waits for the gate streamGate() returns at that moment (the
 * streaming test replaces it per turn); the default gate is never opened.
 */
export function dashboardScript(streamGate: () => Gate = () => new Gate()): Script {
  return async function* (call) {
    const prompt = textOf(call.messages.findLast((m) => m.role === 'user'));
    const poet = call.messages.some((m) => m.role === 'system' && textOf(m).includes(POET_PROMPT));
    const last = call.messages.at(-1);
    const toolResult = last?.role === 'tool' ? textOf(last) : undefined;
    if (prompt.startsWith('stream:')) {
      yield { type: 'text_delta', text: 'first part' };
      const outcome = await Promise.race([
        streamGate().opened.then(() => 'open'),
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
}

/** Evaluated in the page: the form controls and buttons that have no accessible name. */
export const UNNAMED_CONTROLS = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
    || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))`;

/** The focused element's text, evaluated in the page. */
export const FOCUSED =
  "document.activeElement ? (document.activeElement.id || '') + '|' + document.activeElement.textContent : ''";

export let env: TestGateway;
let browser: Browser;
/** Every tab's context: each tab has its own sessionStorage, and the app's scripts load from cache. */
export let shared: BrowserContext;
export const open: OpenPage[] = [];

/** A new tab, logged in, on the given page (by its navigation label). */
export async function dashboard(label?: string, viewport = LAPTOP, token = TOKEN): Promise<OpenPage> {
  const tab = await openPage(shared, `${env.gateway.url}/`, viewport);
  open.push(tab);
  await logIn(tab.page, token);
  if (label) await visit(tab.page, label);
  return tab;
}

export async function chatTurn(page: Page, prompt: string): Promise<void> {
  await page.getByLabel('Message').fill(prompt);
  await page.getByLabel('Message').press('Enter');
}

/** The chat's idle again: the Send button is back. */
export async function turnEnded(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Send' }).waitFor();
}

/** Starts the gateway and the browser for the calling describe's tests, and stops them after. */
export function useDashboard(script: Script): void {
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
}
