/**
 * What the executor tells the SDK about one task, as A2A events on its bus: the task itself,
 * status changes (with a line of text from the agent), and the answer artifact.
 */
import { randomUUID } from 'node:crypto';
import type { Message, Part, TaskState } from '@a2a-js/sdk';
import type { AgentEvent, ExecutionEventBus } from '@a2a-js/sdk/server';

const ROLE_AGENT = 2;

export class TaskUpdates {
  constructor(
    readonly events: typeof AgentEvent,
    readonly bus: ExecutionEventBus,
    readonly taskId: string,
    readonly contextId: string,
  ) {}

  /** The task's first event: it exists, submitted, with the client's message. */
  submitted(userMessage: Message): void {
    this.bus.publish(
      this.events.task({
        id: this.taskId,
        contextId: this.contextId,
        status: { state: 1, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [userMessage],
        metadata: undefined,
      }),
    );
  }

  status(state: TaskState, text?: string, metadata?: Record<string, unknown>): void {
    this.bus.publish(
      this.events.statusUpdate({
        taskId: this.taskId,
        contextId: this.contextId,
        status: {
          state,
          message: text !== undefined ? this.#message(text) : undefined,
          timestamp: new Date().toISOString(),
        },
        metadata,
      }),
    );
  }

  /** The answer, whole, as the artifact "answer". */
  answer(text: string): void {
    this.bus.publish(
      this.events.artifactUpdate({
        taskId: this.taskId,
        contextId: this.contextId,
        artifact: {
          artifactId: 'answer',
          name: 'answer',
          description: "the agent's answer",
          parts: [textPart(text)],
          metadata: undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
  }

  #message(text: string): Message {
    return {
      messageId: randomUUID(),
      contextId: this.contextId,
      taskId: this.taskId,
      role: ROLE_AGENT,
      parts: [textPart(text)],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
  }
}

function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}
