/**
 * The registry's side of the taint policy (taint-gate.ts): results carry their tool's declared
 * provenance; a call the policy screens is asked about with its reason even under approval =
 * "auto", refused with the reason and the fix where nobody can answer, and never screened when
 * the context holds nothing. The rules themselves are the kernel's (kernel-taint.test.ts).
 */
import type { ApprovalRequest, ToolContext } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApprovalRecord, defineTool, type TaintVerdict, ToolRegistry } from '../src/index.js';

const PAGE = { kind: 'web', source: 'https://evil.example/post' } as const;

function setup(verdict: TaintVerdict | undefined) {
  const runs: string[] = [];
  const records: ApprovalRecord[] = [];
  const fetchTool = defineTool({
    name: 'fetch_page',
    description: 'fetches',
    parameters: z.object({ url: z.string() }),
    safety: 'read_only',
    provenance: (args) => ({ kind: 'web', source: String(args.url) }),
    execute: async ({ url }) => `page ${url}`,
  });
  const sendTool = defineTool({
    name: 'send',
    description: 'sends',
    parameters: z.object({ to: z.string() }),
    safety: 'side_effecting',
    execute: async ({ to }) => {
      runs.push(to);
      return `sent to ${to}`;
    },
  });
  const registry = new ToolRegistry([fetchTool, sendTool], {
    approval: 'auto',
    onApproval: (record) => records.push(record),
    screen: (call) => (call.name === 'send' ? verdict : undefined),
  });
  return { registry, runs, records };
}

const base = (extra: Partial<ToolContext> = {}): ToolContext => ({
  workspace: '/nowhere',
  signal: new AbortController().signal,
  ...extra,
});
const ASK: TaintVerdict = {
  action: 'ask',
  reason: 'this call follows content from the web page',
  fix: 'allow it',
};

describe('registry: taint gate', () => {
  it("a result carries its tool's declared provenance", async () => {
    const { registry } = setup(ASK);
    const outcome = await registry.execute(
      { id: '1', name: 'fetch_page', arguments: { url: PAGE.source } },
      base(),
    );
    expect(outcome.provenance).toEqual(PAGE);
  });

  it('a clean context is not screened: the call runs under "auto" as before', async () => {
    const { registry, runs, records } = setup(ASK);
    const outcome = await registry.execute({ id: '1', name: 'send', arguments: { to: 'a' } }, base());
    expect(outcome.isError).toBe(false);
    expect(runs).toEqual(['a']);
    expect(records).toEqual([]);
  });

  it('a tainted context asks with the reason even under "auto"; a yes runs it and is recorded with the reason', async () => {
    const { registry, runs, records } = setup(ASK);
    const asked: ApprovalRequest[] = [];
    const approve = async (request: ApprovalRequest) => {
      asked.push(request);
      return true;
    };
    const outcome = await registry.execute(
      { id: '1', name: 'send', arguments: { to: 'b' } },
      base({ provenance: [PAGE], approve }),
    );
    expect(outcome.content).toBe('sent to b');
    expect(asked[0]).toMatchObject({
      reason: ASK.reason,
      summary: expect.stringContaining(`(asked because ${ASK.reason})`),
    });
    expect(records).toEqual([
      expect.objectContaining({ tool: 'send', approved: true, by: 'user', reason: ASK.reason }),
    ]);
    expect(runs).toEqual(['b']);
  });

  it('with nobody to ask it is refused with the reason and the fix; "refuse" refuses outright', async () => {
    const { registry, runs, records } = setup(ASK);
    const headless = await registry.execute(
      { id: '1', name: 'send', arguments: { to: 'c' } },
      base({ provenance: [PAGE] }),
    );
    expect(headless.isError).toBe(true);
    expect(headless.content).toBe(
      `send needs a fresh approval because ${ASK.reason}, and nobody can give it here (not interactive). ` +
        '[tools] approval = "auto" (--yes) does not cover it; to allow it without asking: allow it.',
    );
    expect(records.at(-1)).toMatchObject({ approved: false, by: 'no_approver' });

    const strict = setup({ ...ASK, action: 'refuse' });
    const refused = await strict.registry.execute(
      { id: '2', name: 'send', arguments: { to: 'd' } },
      base({ provenance: [PAGE], approve: async () => true }),
    );
    expect(refused.content).toBe(`send was refused: ${ASK.reason}. To allow it: allow it.`);
    expect(strict.records.at(-1)).toMatchObject({ approved: false, by: 'taint' });
    expect([...runs, ...strict.runs]).toEqual([]);
  });
});
