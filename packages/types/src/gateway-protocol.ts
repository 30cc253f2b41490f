/**
 * The gateway's WebSocket protocol, version 2: JSON frames `{"type": <snake_case>, "payload":
 * {...}}` on `/ws`, frame for frame as Oxydra's (spec/originals.md A.8). One zod schema per frame,
 * shared by the gateway (which validates what clients send) and every client (TUI, web, tests).
 * Payload fields are snake_case on the wire, as in the original.
 */
import { z } from 'zod';
import { once } from './once.js';

export const GATEWAY_PROTOCOL_VERSION = 2;

/** Protocol extensions a client may ask for in hello (`capabilities`). */
export const GATEWAY_CAPABILITIES = ['approvals'] as const;

const requestId = once(() => z.string().min(1).max(200));
const id = once(() => z.string().min(1).max(200));

/** Which session a server frame is about. */
export const sessionRefSchema = once(() => z.object({ user_id: z.string(), session_id: z.string() }));
/** Which turn a server frame is about (`turn_id` is the client's, `index` counts turns in the session). */
export const turnRefSchema = once(() => z.object({ turn_id: z.string(), index: z.int().nonnegative() }));

export const TURN_STATES = ['running', 'completed', 'cancelled', 'failed'] as const;
export const activeTurnSchema = once(() => z.object({ turn_id: z.string(), state: z.enum(TURN_STATES) }));

export const attachmentSchema = once(() =>
  z.object({
    mime_type: z.string().regex(/^[A-Za-z0-9._+-]+\/[A-Za-z0-9._+-]+$/, 'a MIME type such as image/png'),
    /** base64 */
    data: z.string(),
  }),
);

// ---- client -> server ----

export const clientFrameSchema = once(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('hello'),
      payload: z.object({
        request_id: requestId(),
        protocol_version: z.int(),
        user_id: id().optional(),
        session_id: id().optional(),
        create_new_session: z.boolean().default(false),
        /**
         * Extensions this client handles (older gateways ignore the field): "approvals" =
         * it shows approval_requested frames and answers them with approval_response.
         */
        capabilities: z.array(z.string().min(1).max(64)).max(16).optional(),
      }),
    }),
    z.object({
      type: z.literal('send_turn'),
      payload: z.object({
        request_id: requestId(),
        session_id: id(),
        turn_id: id(),
        prompt: z.string(),
        attachments: z.array(attachmentSchema()).max(4).optional(),
      }),
    }),
    z.object({
      type: z.literal('cancel_active_turn'),
      payload: z.object({ request_id: requestId(), session_id: id(), turn_id: id().optional() }),
    }),
    z.object({ type: z.literal('cancel_all_active_turns'), payload: z.object({ request_id: requestId() }) }),
    z.object({ type: z.literal('health_check'), payload: z.object({ request_id: requestId() }) }),
    z.object({
      type: z.literal('create_session'),
      payload: z.object({
        request_id: requestId(),
        display_name: z.string().max(200).optional(),
        agent_name: id().optional(),
      }),
    }),
    z.object({
      type: z.literal('list_sessions'),
      payload: z.object({
        request_id: requestId(),
        include_archived: z.boolean().default(false),
        include_subagent_sessions: z.boolean().default(false),
      }),
    }),
    z.object({
      type: z.literal('switch_session'),
      payload: z.object({ request_id: requestId(), session_id: id() }),
    }),
    z.object({
      type: z.literal('approval_response'),
      payload: z.object({ request_id: requestId(), approval_id: id(), allow: z.boolean() }),
    }),
  ]),
);
export type ClientFrame = z.infer<ReturnType<typeof clientFrameSchema>>;
export type ClientFrameType = ClientFrame['type'];

// ---- server -> client ----

const usageSchema = once(() =>
  z.object({
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_read_tokens: z.number().optional(),
    cache_write_tokens: z.number().optional(),
    reasoning_tokens: z.number().optional(),
    cost_usd: z.number().optional(),
  }),
);

export const sessionSummarySchema = once(() =>
  z.object({
    session_id: z.string(),
    /** The session's human name (`sessionName`): "Default session", its title, or its short id. Older gateways send none. */
    name: z.string().optional(),
    agent_name: z.string(),
    display_name: z.string().optional(),
    channel_origin: z.string(),
    created_at: z.string(),
    last_active_at: z.string(),
    archived: z.boolean(),
  }),
);
export type SessionSummary = z.infer<ReturnType<typeof sessionSummarySchema>>;

export const serverFrameSchema = once(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('hello_ack'),
      payload: z.object({
        request_id: z.string(),
        protocol_version: z.int(),
        session: sessionRefSchema(),
        active_turn: activeTurnSchema().optional(),
        /** How the agents' commands are isolated (absent from older gateways). */
        sandbox: z
          .object({
            tier: z.enum(['bubblewrap', 'sandbox_exec', 'none']),
            shell: z.enum(['sandboxed', 'unsandboxed', 'refused']),
            summary: z.string(),
          })
          .optional(),
        /** The client's capabilities this gateway will use on this connection (absent from older gateways). */
        capabilities: z.array(z.string()).optional(),
      }),
    }),
    z.object({
      type: z.literal('approval_requested'),
      payload: z.object({
        session: sessionRefSchema(),
        turn: turnRefSchema().optional(),
        approval_id: z.string(),
        /** The kernel agent asking: the turn's own, or one of its sub-agents. */
        agent_id: z.string(),
        tool: z.string(),
        /** What would run, in one line (e.g. the command), scrubbed like tool output. */
        summary: z.string(),
        /** When an unanswered question counts as "deny" (ISO 8601). */
        expires_at: z.string(),
      }),
    }),
    z.object({
      type: z.literal('approval_resolved'),
      payload: z.object({
        session: sessionRefSchema(),
        approval_id: z.string(),
        allow: z.boolean(),
        /** client: a client's answer; timeout: nobody answered in time; cancelled: the turn ended first; policy: no client could answer. */
        by: z.enum(['client', 'timeout', 'cancelled', 'policy']),
      }),
    }),
    z.object({
      type: z.literal('turn_started'),
      payload: z.object({ request_id: z.string(), session: sessionRefSchema(), turn: turnRefSchema() }),
    }),
    z.object({
      type: z.literal('assistant_delta'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        turn: turnRefSchema(),
        delta: z.string(),
      }),
    }),
    z.object({
      type: z.literal('turn_progress'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        turn: turnRefSchema(),
        progress: z.object({
          /** e.g. tool_started, tool_finished, tool_failed (the message says why), model_turn, budget */
          kind: z.string(),
          message: z.string(),
          turn: z.int().nonnegative(),
          max_turns: z.int().positive(),
        }),
      }),
    }),
    z.object({
      type: z.literal('turn_completed'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        turn: turnRefSchema(),
        response: z.object({
          message: z.string(),
          tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.unknown() })),
          finish_reason: z.string(),
          usage: usageSchema(),
        }),
      }),
    }),
    z.object({
      type: z.literal('turn_cancelled'),
      payload: z.object({ request_id: z.string(), session: sessionRefSchema(), turn: turnRefSchema() }),
    }),
    z.object({
      type: z.literal('error'),
      payload: z.object({
        request_id: z.string().optional(),
        session: sessionRefSchema().optional(),
        turn: turnRefSchema().optional(),
        /** Stable machine-readable code (our addition): e.g. invalid_frame, turn_active, busy. */
        code: z.string().optional(),
        message: z.string(),
      }),
    }),
    z.object({
      type: z.literal('health_status'),
      payload: z.object({
        request_id: z.string(),
        healthy: z.boolean(),
        session: sessionRefSchema().optional(),
        active_turn: activeTurnSchema().optional(),
        startup_status: z.unknown().optional(),
        message: z.string().optional(),
      }),
    }),
    z.object({
      type: z.literal('scheduled_notification'),
      payload: z.object({
        schedule_id: z.string(),
        schedule_name: z.string().optional(),
        /** The run's answer, or why it did not complete. */
        message: z.string(),
        // Our additions: which run, how it ended, where its conversation is, what it cost.
        run_id: z.string().optional(),
        status: z.enum(['completed', 'failed', 'cancelled', 'interrupted']).optional(),
        session_id: z.string().optional(),
        cost_usd: z.number().optional(),
        turns: z.int().nonnegative().optional(),
        /** The schedule has failed [scheduler] notify_after_failures times in a row or more. */
        alert: z.boolean().optional(),
        /** This failure paused the schedule (auto_disable_after_failures). */
        paused: z.boolean().optional(),
      }),
    }),
    z.object({
      type: z.literal('session_created'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        display_name: z.string().optional(),
        agent_name: z.string(),
      }),
    }),
    z.object({
      type: z.literal('session_list'),
      payload: z.object({ request_id: z.string(), sessions: z.array(sessionSummarySchema()) }),
    }),
    z.object({
      type: z.literal('session_switched'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        active_turn: activeTurnSchema().optional(),
      }),
    }),
    z.object({
      type: z.literal('media_attachment'),
      payload: z.object({
        request_id: z.string(),
        session: sessionRefSchema(),
        attachment: z.object({
          file_path: z.string(),
          media_type: z.string(),
          caption: z.string().optional(),
          data: z.string(),
          file_name: z.string().optional(),
        }),
      }),
    }),
  ]),
);
export type ServerFrame = z.infer<ReturnType<typeof serverFrameSchema>>;
export type ServerFrameType = ServerFrame['type'];
/** The payload of the server frame of type `T`. */
export type ServerPayload<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>['payload'];
/** The payload of the client frame of type `T`. */
export type ClientPayload<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>['payload'];

// ---- the gateway's HTTP API ----

/**
 * A structured-output request: chat's `response_format` and the Responses API's `text.format`
 * (whose json_schema fields sit beside `type` rather than under `json_schema`).
 */
const jsonSchemaObject = once(() => z.record(z.string(), z.unknown()));
export const responseFormatSchema = once(() =>
  z.union([
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({ name: z.string().optional(), schema: jsonSchemaObject().optional() }),
    }),
  ]),
);
export type ResponseFormat = z.infer<ReturnType<typeof responseFormatSchema>>;
export const responsesTextFormatSchema = once(() =>
  z.union([
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      name: z.string().optional(),
      schema: jsonSchemaObject().optional(),
    }),
  ]),
);

/**
 * POST /v1/chat/completions (OpenAI-compatible): the fields the gateway reads. Sampling fields
 * (temperature, max_tokens...) are accepted and ignored: the agent's configuration decides.
 * Fields the agent cannot honour (tools, n > 1...) are refused by the gateway, by name.
 */
export const chatCompletionRequestSchema = once(() =>
  z.object({
    response_format: responseFormatSchema().nullish(),
    /** An agent name: "default" or an [agents.<name>] table. */
    model: z.string().min(1).max(200),
    messages: z
      .array(
        z.object({
          role: z.string().min(1),
          content: z
            .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))])
            .nullish(),
          tool_calls: z.array(z.unknown()).optional(),
        }),
      )
      .min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    /** The gateway user whose turn limit applies. */
    user: z.string().optional(),
  }),
);
export type ChatCompletionRequest = z.infer<ReturnType<typeof chatCompletionRequestSchema>>;

const responsesContentSchema = once(() =>
  z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))]),
);

/**
 * POST /v1/responses (OpenAI Responses API, stateless): `input` is the prompt (a string) or the
 * conversation (message items, the last one the user's), `instructions` a system message.
 */
export const responsesRequestSchema = once(() =>
  z.object({
    model: z.string().min(1).max(200),
    input: z.union([
      z.string(),
      z
        .array(
          z.object({
            type: z.string().optional(),
            role: z.string().optional(),
            content: responsesContentSchema().optional(),
          }),
        )
        .min(1),
    ]),
    instructions: z.string().nullish(),
    stream: z.boolean().nullish(),
    text: z.object({ format: responsesTextFormatSchema().optional() }).nullish(),
    user: z.string().optional(),
  }),
);
export type ResponsesRequest = z.infer<ReturnType<typeof responsesRequestSchema>>;

const queryFlag = once(() =>
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
);

/** GET /v1/sessions: the query string. */
export const sessionListQuerySchema = once(() =>
  z.strictObject({
    user_id: z.string().min(1).max(200).optional(),
    include_archived: queryFlag().default(false),
    include_subagents: queryFlag().default(false),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  }),
);
export type SessionListQuery = z.output<ReturnType<typeof sessionListQuerySchema>>;
