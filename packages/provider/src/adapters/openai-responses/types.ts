/**
 * The Responses API on the wire: the fields we send and the stream events we read, after
 * OpenAI's API reference. Ours rather than the `openai` package's types, so the provider needs
 * nothing of the SDK. Events not listed here reach the translator too and are skipped.
 */
import type { Context, JsonSchema } from '@oxydra/types';

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description: string;
  parameters: JsonSchema;
  strict: boolean;
}

export type ResponsesInputContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string; detail: 'auto' }
  | { type: 'input_file'; filename: string; file_data: string };

export type ResponsesInputItem =
  | { role: 'user'; content: string | ResponsesInputContent[] }
  | { role: 'assistant'; content: string }
  | {
      type: 'reasoning';
      id: string;
      summary: { type: 'summary_text'; text: string }[];
      encrypted_content?: string;
    }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

/** The body of POST /responses, always streamed. */
export interface ResponsesRequest {
  model: string;
  input: ResponsesInputItem[];
  stream: true;
  instructions?: string;
  previous_response_id?: string;
  tools?: ResponsesFunctionTool[];
  tool_choice?: 'auto';
  max_output_tokens?: number;
  temperature?: number;
  reasoning?: { effort: NonNullable<Context['reasoning']>['effort']; summary: 'auto' };
}

/** The streamed events the translator acts on (their other fields are read loosely). */
export type ResponsesStreamEvent =
  | {
      type:
        | 'response.created'
        | 'response.in_progress'
        | 'response.completed'
        | 'response.incomplete'
        | 'response.failed';
      response?: unknown;
    }
  | {
      type: 'response.output_item.added' | 'response.output_item.done';
      output_index?: number;
      item?: unknown;
    }
  | {
      type:
        | 'response.output_text.delta'
        | 'response.refusal.delta'
        | 'response.reasoning_summary_text.delta'
        | 'response.reasoning_text.delta'
        | 'response.function_call_arguments.delta';
      output_index?: number;
      delta: string;
    }
  | { type: 'response.function_call_arguments.done'; output_index?: number; arguments: string }
  | { type: 'error'; message?: string; code?: string | null; param?: string | null };
