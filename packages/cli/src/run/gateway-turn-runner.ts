/**
 * The gateway's TurnRunner: each turn is an agent run assembled exactly as `oxydra run` does it
 * (prepareRun → openSession → startAgentRun), so a gateway session and a CLI session behave
 * alike and share one store. One RunSetup per agent, made on first use; the top-level one
 * ("default") is made at start, so configuration mistakes stop the daemon before it listens.
 * Every agent's setup uses the default setup's memory database: one connection for the daemon,
 * closed once, by the default setup, after the others.
 *
 * Sessions are opened for the turn's user: what they store is marked as that user's, and recall
 * searches only that user's notes and conversations, never another user's.
 *
 * Approvals: the gateway has no terminal. [tools] approval = "ask" therefore denies privileged
 * tools with an error the model (and the user, in the transcript) can read; "auto" and "deny"
 * apply as configured. Approvals over the protocol come later.
 */
import type { TurnHandle, TurnRequest, TurnRunner } from '@oxydra/gateway';
import { startAgentRun } from '@oxydra/runtime';
import type { ApprovalRequest, ContentPart } from '@oxydra/types';
import { prepareRun, type RunFlags, type RunSetup, type SetupOptions } from './setup.js';

const DEFAULT_AGENT = 'default';

/** What a tool needing approval gets back over the gateway: a refusal that says how to allow it. */
export async function gatewayApprover(request: ApprovalRequest): Promise<boolean> {
  throw new Error(
    `nobody can approve ${request.toolName} over the gateway yet; ` +
      'set [tools] approval = "auto" in the gateway\'s configuration to let agents run it',
  );
}

export class GatewayTurnRunner implements TurnRunner {
  readonly #setups = new Map<string, Promise<RunSetup>>();
  readonly #defaultSetup: RunSetup;
  /** How other agents' setups are made: with the default setup's memory database. */
  readonly options: SetupOptions;

  constructor(
    readonly flags: RunFlags,
    options: SetupOptions,
    defaultSetup: RunSetup,
  ) {
    this.#defaultSetup = defaultSetup;
    this.options = { ...options, ...(defaultSetup.memory ? { memory: defaultSetup.memory } : {}) };
    this.#setups.set(DEFAULT_AGENT, Promise.resolve(defaultSetup));
  }

  async start(request: TurnRequest): Promise<TurnHandle> {
    const setup = await this.#setupFor(request.agentName);
    const session =
      request.sessionId === undefined
        ? undefined
        : await setup.openSession(request.sessionId, { userId: request.userId });
    const prompt: string | ContentPart[] =
      request.attachments.length === 0
        ? request.prompt
        : [
            ...(request.prompt ? [{ type: 'text' as const, text: request.prompt }] : []),
            ...request.attachments.map((a) => ({
              type: 'attachment' as const,
              mimeType: a.mimeType,
              data: a.data,
            })),
          ];
    const run = startAgentRun({
      ...setup.base,
      ...session?.options,
      userId: request.userId,
      prompt,
      history: session?.history ?? request.history ?? [],
      signal: request.signal,
      ...(setup.config.tools.approval === 'ask' ? { approve: gatewayApprover } : {}),
    });
    return { events: run.events, result: run.result };
  }

  /** Closes every agent's setup, the default one (which owns the memory database) last. */
  async close(): Promise<void> {
    const setups = await Promise.allSettled(this.#setups.values());
    for (const setup of setups) {
      if (setup.status === 'fulfilled' && setup.value !== this.#defaultSetup) await setup.value.close();
    }
    await this.#defaultSetup.close();
  }

  #setupFor(agentName: string): Promise<RunSetup> {
    let setup = this.#setups.get(agentName);
    if (!setup) {
      setup = prepareRun({ ...this.flags, agent: agentName }, this.options);
      // A failed setup is not kept: the next turn tries again (the config may have been fixed).
      setup.catch(() => this.#setups.delete(agentName));
      this.#setups.set(agentName, setup);
    }
    return setup;
  }
}
