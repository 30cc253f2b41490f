/**
 * The gateway's A2A agent card (protocol 1.0): one skill per configured agent (the top-level
 * configuration is "default"), the JSON-RPC endpoint at /a2a, streaming, and the bearer scheme
 * every task call needs. The card itself is public, as A2A discovery expects: it names the
 * agents and what they are for, nothing of the workspace (no paths, no models, no tools).
 */
import type { AgentCard, AgentSkill } from '@a2a-js/sdk';
import type { AgentConfig } from '@oxydra/types';

export const A2A_PATH = '/a2a';
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';
export const DEFAULT_SKILL = 'default';
const VERSION = '0.1.0';
const LEGACY_VERSION = '0.3';

export function agentSkills(config: AgentConfig): AgentSkill[] {
  const skill = (id: string, description: string): AgentSkill => ({
    id,
    name: id,
    description,
    tags: ['oxydra'],
    examples: [],
    inputModes: ['text/plain'],
    outputModes: ['text/plain'],
    securityRequirements: [],
  });
  return [
    skill(
      DEFAULT_SKILL,
      'The general agent: reads and changes files in its workspace and runs sandboxed commands.',
    ),
    ...Object.entries(config.agents).map(([name, agent]) =>
      skill(name, agent.description ?? `the "${name}" agent`),
    ),
  ];
}

/** The card for clients that reach the gateway at `baseUrl` (no trailing slash). */
export function agentCard(config: AgentConfig, baseUrl: string): AgentCard {
  return {
    name: config.a2a.name,
    description:
      'An Oxydra gateway: hand a task to one of its agents (pick one with metadata.agent, a skill id; default otherwise). Reuse a contextId to continue the same conversation.',
    // One endpoint, both protocol versions: 1.0 and the 0.3 most deployed clients still speak.
    supportedInterfaces: [
      { url: `${baseUrl}${A2A_PATH}`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
      {
        url: `${baseUrl}${A2A_PATH}`,
        protocolBinding: 'JSONRPC',
        protocolVersion: LEGACY_VERSION,
        tenant: '',
      },
    ],
    provider: undefined,
    version: VERSION,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      bearer: {
        scheme: {
          $case: 'httpAuthSecurityScheme',
          value: {
            description: 'the gateway token, or one made with `oxydra token add`',
            scheme: 'Bearer',
            bearerFormat: '',
          },
        },
      },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: agentSkills(config),
    signatures: [],
  };
}

/**
 * The card in the A2A 0.3 shape, for clients that ask without an A2A-Version header (0.3 clients):
 * `url` and `preferredTransport` instead of supportedInterfaces, typed security schemes. The 1.0
 * interfaces ride along in `supportedInterfaces`, as the SDK's own 0.3 card does.
 */
export function legacyAgentCard(card: AgentCard): Record<string, unknown> {
  const url = card.supportedInterfaces[0]?.url ?? '';
  return {
    name: card.name,
    description: card.description,
    version: card.version,
    url,
    preferredTransport: 'JSONRPC',
    protocolVersion: LEGACY_VERSION,
    capabilities: { streaming: card.capabilities?.streaming ?? false, pushNotifications: false },
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: card.skills.map(({ id, name, description, tags, inputModes, outputModes }) => ({
      id,
      name,
      description,
      tags,
      inputModes,
      outputModes,
    })),
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the gateway token' } },
    security: [{ bearer: [] }],
    supportedInterfaces: card.supportedInterfaces,
  };
}

/** A request that names no protocol version speaks 0.3 (the A2A rule). */
export function isLegacyRequest(version: string | string[] | undefined): boolean {
  return version === undefined || (typeof version === 'string' && version.startsWith('0.'));
}

/**
 * Where clients reach the gateway: `[a2a] public_url` when set (behind a proxy), else the
 * address it listens on. Never the request's Host header: the card is public and cached, and
 * a URL taken from the request would send the next client's tasks (and token) wherever the
 * asker's Host said.
 */
export function cardBaseUrl(config: AgentConfig, listening: string): string {
  return (config.a2a.public_url ?? listening).replace(/\/+$/, '');
}
