/**
 * delegate_to_agent: an agent hands a task to one of the configured `[agents.<name>]` and gets
 * its final answer as the tool result. The child is a kernel agent under the caller (its events
 * carry both ids, its spending counts against the caller's limits, killing the caller kills it).
 * Several delegations in one model reply run at once: the call changes nothing by itself (what
 * the child does passes through its own tool registry and approvals), so it is dispatched with
 * the read-only calls, which run in parallel.
 */
import type { AgentConfig, Message, Provenance, Tool, ToolContext } from '@oxydra/types';
import type { AgentRecord } from '../services/agent-turn.js';
import type { AgentHandle, SpawnSpec } from '../types.js';
import { DELEGATE_TOOL } from './permissions.js';

/** A delegated run may take much longer than one tool call; its own budgets bound it. */
const DELEGATION_TIMEOUT_MS = 60 * 60 * 1000;

interface DelegateOptions {
  /** The configured agents and what they are for (description), the caller excluded. */
  agents: Record<string, { description?: string }>;
  spawn(spec: SpawnSpec): AgentHandle;
  /**
   * The selection the child runs with (spec/originals.md A.1): its own when it has one, else the
   * caller's current one; undefined leaves the agent's configured selection.
   */
  selectionFor(agent: string, callerId: string): SpawnSpec['selection'];
}

function delegateTool(options: DelegateOptions): Tool {
  const names = Object.keys(options.agents);
  const listing = names
    .map(
      (name) => `${name}${options.agents[name]?.description ? `: ${options.agents[name]?.description}` : ''}`,
    )
    .join('; ');
  return {
    name: DELEGATE_TOOL,
    description: `Hand a self-contained task to another agent; returns its final answer. Agents: ${listing}. Several calls in one reply run in parallel.`,
    parameters: {
      type: 'object',
      properties: {
        agent: { type: 'string', enum: names },
        task: { type: 'string', minLength: 1, description: 'with everything the agent needs to know' },
      },
      required: ['agent', 'task'],
      additionalProperties: false,
    },
    safety: 'read_only',
    timeoutMs: DELEGATION_TIMEOUT_MS,
    async execute(args, context) {
      const agent = String(args.agent);
      const task = String(args.task);
      if (!names.includes(agent)) {
        return { content: `unknown agent "${agent}"; known: ${names.join(', ')}`, isError: true };
      }
      if (context.agentId === undefined) {
        return { content: 'delegation needs a kernel agent as the caller', isError: true };
      }
      const child = options.spawn(childSpec(options, agent, task, context));
      const stop = () => void child.cancel('the delegating call was cancelled');
      context.signal.addEventListener('abort', stop, { once: true });
      try {
        // The child's events reach the kernel's subscribers (and the caller's stream) already.
        const result = await child.result;
        const data = {
          agentId: child.id,
          status: result.status,
          turns: result.turns,
          costUsd: result.costUsd,
        };
        const provenance = answerProvenance(agent, result.messages);
        if (result.status === 'completed') return { content: result.text || '(no answer)', data, provenance };
        const why = result.error ? `${result.error.code}: ${result.error.message}` : result.status;
        return {
          content: `agent ${agent} did not finish (${why})${result.text ? `; its last text: ${result.text}` : ''}`,
          isError: true,
          data,
          provenance,
        };
      } finally {
        context.signal.removeEventListener('abort', stop);
      }
    },
  };
}

function childSpec(options: DelegateOptions, agent: string, task: string, context: ToolContext): SpawnSpec {
  const selection = options.selectionFor(agent, context.agentId!);
  return {
    prompt: task,
    agent,
    parentId: context.agentId!,
    ...(context.userId !== undefined ? { userId: context.userId } : {}),
    ...(selection ? { selection } : {}),
    // The task was written by a context that may hold untrusted content: the child inherits it.
    ...(context.provenance?.length ? { inheritedProvenance: context.provenance } : {}),
  };
}

/**
 * What the child's answer holds: the newest outside source its context took in (so a page a
 * child fetched taints the parent as much as one the parent fetched), else the child itself.
 */
function answerProvenance(agent: string, messages: readonly Message[]): Provenance {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]!;
    const provenance = message.role === 'tool' || message.role === 'user' ? message.provenance : undefined;
    if (provenance && provenance.kind !== 'user' && provenance.kind !== 'system') {
      return {
        kind: provenance.kind,
        source: `${provenance.source ?? provenance.kind} (via agent ${agent})`,
      };
    }
  }
  return { kind: 'sub_agent', source: agent };
}

/**
 * delegate_to_agent for the agent `self`, when delegation is on and there are other agents to
 * delegate to; none otherwise.
 */
export function delegationTools(
  config: AgentConfig,
  self: string | undefined,
  kernel: { spawn(spec: SpawnSpec): AgentHandle; record(id: string): AgentRecord | undefined },
): Tool[] {
  if (config.runtime.max_delegation_depth === 0) return [];
  const agents = Object.fromEntries(
    Object.entries(config.agents)
      .filter(([name]) => name !== self)
      .map(([name, agent]) => [
        name,
        agent.description !== undefined ? { description: agent.description } : {},
      ]),
  );
  if (Object.keys(agents).length === 0) return [];
  return [
    delegateTool({
      agents,
      spawn: (spec) => kernel.spawn(spec),
      selectionFor: (name, callerId) => {
        const own = config.agents[name]?.selection;
        if (own?.provider !== undefined) return undefined;
        const caller = callerSelection(kernel.record(callerId));
        return caller && own?.model !== undefined ? { ...caller, model: own.model } : caller;
      },
    }),
  ];
}

/** The selection an agent is running with now: what a child without its own uses. */
function callerSelection(record: AgentRecord | undefined): SpawnSpec['selection'] {
  if (!record) return undefined;
  const { assembly, spec } = record;
  return {
    provider: assembly.providerName,
    model: assembly.model.id,
    ...(spec.selection?.baseURL !== undefined ? { baseURL: spec.selection.baseURL } : {}),
  };
}
