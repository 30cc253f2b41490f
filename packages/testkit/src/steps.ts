/**
 * Step selection, shared by every wire API: the server reduces a request to a CallView and asks
 * the script which step answers it.
 */
import type { ScenarioStep, StepMatch } from './scenario.js';

/** What a step's `match` can look at, extracted from a request by the API's wire module. */
export interface CallView {
  callIndex: number;
  /** Text of the request's last message, undefined when there is none. */
  lastMessage: string | undefined;
  /** Text of the most recent tool result in the request, undefined when there is none. */
  lastToolResult: string | undefined;
}

export interface SelectedStep {
  step: ScenarioStep;
  /** Position in the scenario, for messages. */
  index: number;
}

function matches(match: StepMatch, view: CallView): boolean {
  if (match.callIndex !== undefined && match.callIndex !== view.callIndex) return false;
  if (match.lastMessageContains !== undefined && !view.lastMessage?.includes(match.lastMessageContains)) {
    return false;
  }
  if (
    match.lastToolResultContains !== undefined &&
    !view.lastToolResult?.includes(match.lastToolResultContains)
  ) {
    return false;
  }
  return true;
}

/**
 * Plays a scenario's steps. A step with `match` that accepts the call wins, wherever it is in
 * the list (so "when X, answer Y" rules work alongside a sequence); otherwise the next step
 * without `match` is taken, in order. Each step answers `times` calls (default 1).
 */
export class StepScript {
  private readonly steps: readonly ScenarioStep[];
  private remaining: number[] = [];

  constructor(steps: readonly ScenarioStep[]) {
    this.steps = steps;
    this.reset();
  }

  reset(): void {
    this.remaining = this.steps.map((step) =>
      step.times === 'always' ? Number.POSITIVE_INFINITY : (step.times ?? 1),
    );
  }

  get size(): number {
    return this.steps.length;
  }

  next(view: CallView): SelectedStep | undefined {
    const available = (i: number) => (this.remaining[i] ?? 0) > 0;
    let chosen = this.steps.findIndex((step, i) => available(i) && step.match && matches(step.match, view));
    if (chosen < 0) chosen = this.steps.findIndex((step, i) => available(i) && !step.match);
    const step = this.steps[chosen];
    if (step === undefined) return undefined;
    this.remaining[chosen] = (this.remaining[chosen] ?? 1) - 1;
    return { step, index: chosen };
  }
}
