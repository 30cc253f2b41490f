/**
 * OpenAI request fields the agent cannot honour are refused by name (400 unsupported_parameter)
 * rather than ignored: a client asking for tool calls or several choices would otherwise get an
 * answer of another shape than it asked for and fail later, confusingly.
 */
import { GatewayError } from '../errors.js';

type Body = Record<string, unknown>;
type Check = (body: Body) => string | undefined;

const present = (value: unknown) => value !== undefined && value !== null;
const nonEmpty = (value: unknown) => (Array.isArray(value) ? value.length > 0 : present(value));

const AGENT_TOOLS = 'the agent runs its own tools; configure them in the agent instead';

const COMMON: Record<string, Check> = {
  tools: (b) => (nonEmpty(b.tools) ? AGENT_TOOLS : undefined),
  tool_choice: (b) =>
    present(b.tool_choice) && b.tool_choice !== 'none' && b.tool_choice !== 'auto' ? AGENT_TOOLS : undefined,
};

const CHAT: Record<string, Check> = {
  ...COMMON,
  functions: (b) => (nonEmpty(b.functions) ? AGENT_TOOLS : undefined),
  function_call: (b) =>
    present(b.function_call) && b.function_call !== 'none' && b.function_call !== 'auto'
      ? AGENT_TOOLS
      : undefined,
  n: (b) =>
    typeof b.n === 'number' && b.n > 1
      ? 'the agent gives one answer per turn; send n = 1 or leave it out'
      : undefined,
  logprobs: (b) =>
    b.logprobs === true ? 'token log probabilities are not available from an agent' : undefined,
  top_logprobs: (b) =>
    typeof b.top_logprobs === 'number' && b.top_logprobs > 0
      ? 'token log probabilities are not available from an agent'
      : undefined,
  audio: (b) => (present(b.audio) ? 'only text output is supported' : undefined),
  prediction: (b) => (present(b.prediction) ? 'predicted outputs are not supported' : undefined),
};

const RESPONSES: Record<string, Check> = {
  ...COMMON,
  previous_response_id: (b) =>
    present(b.previous_response_id)
      ? 'the gateway stores no responses; send the whole conversation in `input`'
      : undefined,
  conversation: (b) =>
    present(b.conversation)
      ? 'the gateway stores no conversations; send the whole conversation in `input`'
      : undefined,
  background: (b) =>
    b.background === true
      ? 'background responses are not supported; use stream: true for long turns'
      : undefined,
};

function refuse(checks: Record<string, Check>, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [name, check] of Object.entries(checks)) {
    const why = check(body as Body);
    if (why) throw new GatewayError('unsupported_parameter', `unsupported parameter "${name}": ${why}`);
  }
}

export const refuseUnsupportedChat = (body: unknown) => refuse(CHAT, body);
export const refuseUnsupportedResponses = (body: unknown) => refuse(RESPONSES, body);
