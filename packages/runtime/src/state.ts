/**
 * The loop's state machine, after the original's TurnState. One typed variable instead of
 * flags, and every transition checked against the table, so an impossible path (tools running
 * after a cancel, a second ending) is an internal error rather than a silent corruption.
 *
 *   idle ─► streaming ─► tool_execution ─► streaming …
 *               │                └───────► failed | cancelled
 *               └─► yielding ─► streaming (steering or a follow-up arrived)
 *                       └─────► (the run completes here)
 *   any non-terminal state ─► failed | cancelled
 */
export type TurnState = 'idle' | 'streaming' | 'tool_execution' | 'yielding' | 'failed' | 'cancelled';

const TRANSITIONS: Readonly<Record<TurnState, readonly TurnState[]>> = {
  idle: ['streaming', 'failed', 'cancelled'],
  streaming: ['tool_execution', 'yielding', 'failed', 'cancelled'],
  tool_execution: ['streaming', 'failed', 'cancelled'],
  yielding: ['streaming', 'failed', 'cancelled'],
  failed: [],
  cancelled: [],
};

export interface StateTransition {
  from: TurnState;
  to: TurnState;
  /** Model calls made when the transition happened. */
  turn: number;
}

export class TurnStateMachine {
  private current: TurnState = 'idle';
  /** Every transition in order: the run's log, read by tests and by `onStateChange`. */
  readonly history: StateTransition[] = [];

  constructor(private readonly onChange?: (transition: StateTransition) => void) {}

  get state(): TurnState {
    return this.current;
  }

  get terminal(): boolean {
    return TRANSITIONS[this.current].length === 0;
  }

  transition(to: TurnState, turn: number): void {
    if (!TRANSITIONS[this.current].includes(to)) {
      throw new Error(`invalid agent loop transition ${this.current} -> ${to}`);
    }
    const transition = { from: this.current, to, turn };
    this.current = to;
    this.history.push(transition);
    this.onChange?.(transition);
  }
}

/**
 * Messages a caller sends into a running run. Steering is urgent (it reaches the model at the
 * next chance, after the current tool batch); follow-ups wait until the current task's final
 * answer and then each starts a new task in the same run.
 */
export class Inbox {
  private readonly steering: string[] = [];
  private readonly followUps: string[] = [];

  steer(text: string): void {
    this.steering.push(text);
  }

  followUp(text: string): void {
    this.followUps.push(text);
  }

  /** All pending steering messages, oldest first; the queue is emptied. */
  takeSteering(): string[] {
    return this.steering.splice(0, this.steering.length);
  }

  /** The oldest pending follow-up, if any. */
  takeFollowUp(): string | undefined {
    return this.followUps.shift();
  }
}
