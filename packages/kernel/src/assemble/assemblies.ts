/**
 * The kernel's cache of assembled agents: one assembly per distinct agent request, reused by
 * every spawn until something it was made from changes (the tool list, a skill or program
 * installed or switched, the persona file it speaks as).
 */
import type { Tool } from '@oxydra/types';
import type { AgentDescription } from '../kernel-api.js';
import type { KernelPersonas } from '../personas/agent-persona.js';
import { type AgentAssembly, type AssemblyRequest, assembleAgent, assemblyKey } from './agent.js';
import type { AgentSettings } from './agent-settings.js';
import type { KernelBase } from './base.js';

export interface AssembliesDeps {
  base: KernelBase;
  personas: KernelPersonas;
  /** The kernel's own tools for an agent (delegation, held services' tools, skills). */
  kernelTools(agent: string | undefined, settings: AgentSettings): Tool[];
  /** Asked before any tool that changes something runs (checkpoints, approvals). */
  beforeChange(tool: { name: string; safety: string }, agentId: string | undefined): Promise<void>;
}

export class Assemblies {
  readonly #deps: AssembliesDeps;
  readonly #cache = new Map<string, AgentAssembly>();
  /** The persona file version each cached assembly was made with. */
  readonly #personaStamps = new WeakMap<AgentAssembly, string>();

  constructor(deps: AssembliesDeps) {
    this.#deps = deps;
  }

  get(request: AssemblyRequest): AgentAssembly {
    const { base, personas } = this.#deps;
    // A skill or program installed, removed or switched since: agents get the new list.
    if (base.skills?.refreshIfDue()) this.#cache.clear();
    const key = assemblyKey(request);
    const persona = personas.forAgent(base.config, request.agent);
    const personaStamp = persona ? `${persona.path}\0${persona.stamp}` : '';
    let assembly = this.#cache.get(key);
    if (!assembly || this.#personaStamps.get(assembly) !== personaStamp) {
      assembly = assembleAgent(
        base,
        request,
        (settings) => this.#deps.kernelTools(request.agent, settings),
        (tool, context) => this.#deps.beforeChange(tool, context.agentId),
        persona?.prompt,
      );
      this.#cache.set(key, assembly);
      this.#personaStamps.set(assembly, personaStamp);
    }
    return assembly;
  }

  /** What an agent spawned with `request` would be: its name, model and tools (kernel.describe). */
  describe(request: AssemblyRequest): AgentDescription {
    const assembly = this.get(request);
    return {
      name: assembly.name,
      providerName: assembly.providerName,
      model: assembly.model,
      tools: assembly.tools.specs().map((tool) => tool.name),
    };
  }

  /** Every agent assembles anew at its next spawn (a tool source's list or a persona changed). */
  clear(): void {
    this.#cache.clear();
  }
}
