/**
 * The agent loop: call the model, run the tools it asks for, feed the results back, until it
 * answers without tools; then take steering or a queued follow-up and go on, or end. Each step is a
 * transition of the TurnStateMachine; every way out of the loop ends in exactly one run_completed
 * or run_failed event.
 *
 * Per model call: budgets (turns, wall time) -> memory recalled for a new user message -> rolling
 * summary when the prompt nears the window -> context assembled within the window -> the
 * cheapest the call could cost must fit the dollar budget -> turn_start + progress -> stream
 * (events forwarded as they arrive, per-call timeout) -> usage and cost recorded.
 *
 * With a `persist` hook every completed unit (a user message; an assistant message with all its
 * tool results) is saved before the loop goes on, so a crash never splits a call from its result.
 * The first call's reads (the stored summary, the recall for the prompt) go out beside the
 * prompt's save, not after it.
 */
import { countMessageTokens, ResponseAssembler } from '@oxydra/provider/core';
import {
  type AssistantMessage,
  Cancelled,
  type Context,
  type Message,
  type StreamEvent,
  type ToolCall,
  type ToolContext,
  type ToolOutcome,
  type ToolSpec,
  type Usage,
} from '@oxydra/types';
import { RepeatedFailureGuard, RunBudget } from './budgets.js';
import { ContextProvenance } from './context-provenance.js';
import { DEFAULT_CONTEXT_BUDGET, fitContext, MemoryRecall } from './context-window.js';
import { type Clock, type Deadline, RunAbort, systemClock } from './deadline.js';
import {
  dispatchToolCalls,
  keepCalls,
  providerCallProgress,
  type TurnPosition,
  toolImages,
} from './dispatch.js';
import { abortReason, toRunFailure } from './errors.js';
import { persistUnit } from './persist.js';
import { providedContext } from './provided-context.js';
import { AnswerText, callModel, type ModelAnswer } from './provider-call.js';
import { type Inbox, type TurnState, TurnStateMachine } from './state.js';
import { RollingSummary } from './summarize.js';
import type { AgentRunOptions, RunResult, RunStatus } from './types.js';

export const DEFAULT_HEARTBEAT_MS = 5000;

export class AgentLoop {
  /** `history` plus everything this run adds. */
  private readonly messages: Message[];
  private readonly state: TurnStateMachine;
  private readonly budget: RunBudget;
  private readonly guard = new RepeatedFailureGuard();
  private readonly clock: Clock;
  /** Aborted by cancel(), the caller's signal, or the wall-time watchdog; the reason says which. */
  private readonly controller = new RunAbort();
  /** The text of every model call so far: the final answer once the run completes. */
  private readonly answerText = new AnswerText();
  /**
   * What every model call of the run streams through and prices with, made once per run rather
   * than as two closures per call.
   */
  private readonly callEmit: (event: StreamEvent) => void;
  private readonly callPrice = (usage: Usage): Usage => this.budget.price(usage);
  private readonly recall: MemoryRecall | undefined;
  private readonly summary: RollingSummary | undefined;
  private readonly limits: Deadline;
  /** The untrusted-or-not sources the context holds, handed to every tool call (taint policy). */
  private readonly provenance: ContextProvenance;

  constructor(
    private readonly options: AgentRunOptions,
    private readonly inbox: Inbox,
    private readonly emit: (event: StreamEvent) => void,
  ) {
    this.clock = options.clock ?? systemClock;
    this.callEmit = this.answerText.wrap(emit);
    this.messages = [...(options.history ?? [])];
    this.provenance = new ContextProvenance(options.history ?? [], options.onProvenance);
    for (const inherited of options.inheritedProvenance ?? []) this.provenance.add(inherited);
    this.state = new TurnStateMachine(options.onStateChange);
    this.budget = new RunBudget(options.budgets, options.model, this.clock, options.ledger);
    // Hooks run under the run's signal and the per-call timeout, like a model call.
    const limits = {
      signal: this.controller,
      timeoutMs: options.budgets.turnTimeoutMs,
      clock: this.clock,
    };
    this.limits = limits;
    this.recall = options.recall
      ? new MemoryRecall(options.recall, limits, emit, (provenance) => this.provenance.add(provenance))
      : undefined;
    this.summary = options.summarization
      ? new RollingSummary(options.summarization, limits, emit)
      : undefined;
  }

  cancel(reason?: string): void {
    this.controller.abort(new Cancelled(reason ?? 'cancelled by the caller'));
  }

  /** Runs to the end; never throws. */
  async run(): Promise<RunResult> {
    const stopWatching = this.watch();
    try {
      this.budget.checkPricing(this.options.provider.name);
      const prompt: Message = { role: 'user', content: this.options.prompt };
      if (this.options.promptProvenance) prompt.provenance = this.options.promptProvenance;
      this.provenance.add(this.options.promptProvenance);
      this.messages.push(prompt);
      await this.firstReads(prompt);
      await this.loop();
      return this.end('completed');
    } catch (error) {
      return this.end(error instanceof Cancelled ? 'cancelled' : 'failed', error);
    } finally {
      stopWatching();
    }
  }

  /**
   * Saves the prompt, and meanwhile reads what the first model call needs besides it: the stored
   * summary and the memory recalled for the prompt. Neither read depends on the prompt being
   * stored (the summary is another record, recall leaves out this session), so on a server store
   * their round trips overlap the save's instead of following it one after the other. Each is
   * settled before the run goes on or ends (no event of a read after the run's last); the save's
   * failure is the one reported, then the summary's, as when they ran in turn.
   */
  private async firstReads(prompt: Message): Promise<void> {
    // Nothing to read beside the save (no summary, no recall): no allSettled, every turn.
    if (!this.summary && !this.recall) return this.persist([prompt]);
    const settled = await Promise.allSettled([
      this.persist([prompt]),
      this.summary?.load(this.messages),
      this.recall?.snippetsFor(this.messages),
    ]);
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  }

  /** Links the caller's signal and the wall-time watchdog to the run's controller. */
  private watch(): () => void {
    const { signal } = this.options;
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      this.cancel(reason instanceof Error && reason.message ? reason.message : undefined);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const { maxWallMs } = this.options.budgets;
    const timer =
      maxWallMs === undefined
        ? undefined
        : this.clock.setTimeout(() => this.controller.abort(this.budget.wallTimeExceeded()), maxWallMs);
    return () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) this.clock.clearTimeout(timer);
    };
  }

  private async loop(): Promise<void> {
    while (true) {
      const answer = await this.modelTurn();
      const assistant = answer.response.message;
      const answered = answer.response.toolCalls.length;
      // An answer of thousands of calls keeps only the first MAX_CALLS_KEPT, in the message stored and sent again.
      const calls = keepCalls(assistant, answer.response.toolCalls);
      if (calls.length === 0) {
        await this.persist([assistant]);
        this.moveTo('yielding');
        if (!(await this.takeQueued())) return;
        continue;
      }
      this.moveTo('tool_execution');
      try {
        this.throwIfStopped();
        // No tools run once the run cannot go on: their results would never be read.
        this.budget.beforeContinuing();
      } catch (error) {
        await this.closeCalls(assistant, calls, [], error);
        throw error;
      }
      await this.runTools(assistant, calls, answer.parseErrors, answered);
      await this.deliverSteering();
    }
  }

  private async modelTurn(): Promise<ModelAnswer> {
    this.throwIfStopped();
    this.budget.checkLimits();
    const { model, provider, systemPrompt } = this.options;
    const tools = this.offeredTools();
    const budget = this.options.contextBudget ?? DEFAULT_CONTEXT_BUDGET;
    // Each hook awaited only when the run has it: most have none, and every await and input
    // object is garbage made on every model call.
    const recall = this.recall ? await this.recall.snippetsFor(this.messages) : [];
    const provided = this.options.context
      ? await providedContext(
          this.options.context,
          { messages: this.messages, turn: this.budget.turns + 1 },
          this.limits,
          this.emit,
        )
      : [];
    if (this.summary)
      await this.summary.maybeCondense({
        messages: this.messages,
        systemPrompt,
        recall,
        tools,
        model,
        budget,
        position: { turn: this.budget.turns + 1, maxTurns: this.options.budgets.maxTurns },
      });
    // The hooks took time: a cancel or the wall-time limit may have come meanwhile.
    this.throwIfStopped();
    const fitted = fitContext(
      systemPrompt,
      this.summary?.view(this.messages) ?? this.messages,
      tools,
      model,
      budget,
      // The summary's preamble before the context providers' (no copy without a summary).
      { preamble: this.summary ? [...this.summary.preamble(), ...provided] : provided, recall },
    );
    this.budget.checkAffordable(
      fitted.promptTokens,
      fitted.exact ? undefined : () => countMessageTokens(fitted.messages, tools),
    );

    const turn = await this.budget.startCall();
    this.moveTo('streaming');
    this.emit({ type: 'turn_start', turn, maxTurns: this.options.budgets.maxTurns });
    this.emit(providerCallProgress(this.position(), model.id));

    const assembler = new ResponseAssembler();
    this.answerText.startCall();
    try {
      const context: Context = { model: model.id, messages: fitted.messages };
      if (tools.length > 0) context.tools = tools;
      const answer = await callModel({
        provider,
        context,
        signal: this.controller,
        timeoutMs: this.options.budgets.turnTimeoutMs,
        clock: this.clock,
        emit: this.callEmit,
        price: this.callPrice,
        assembler,
      });
      this.budget.recordUsage(answer.response.usage);
      this.messages.push(answer.response.message);
      return answer;
    } catch (error) {
      // An interrupted call: its streamed text stays in the answer; keep what it reported using.
      const partial = assembler.response();
      if (Object.keys(partial.usage).length > 0) this.budget.recordUsage(partial.usage);
      throw error;
    }
  }

  /** The tools the model is offered: none when its catalog entry says it cannot call tools. */
  private offeredTools(): ToolSpec[] {
    return this.options.model.capabilities.supportsTools ? this.options.tools.specs() : [];
  }

  private async runTools(
    assistant: AssistantMessage,
    calls: ToolCall[],
    parseErrors: ReadonlyMap<string, string>,
    answered: number,
  ): Promise<void> {
    const outcomes: (ToolOutcome | undefined)[] = calls.map(() => undefined);
    try {
      await dispatchToolCalls(calls, {
        tools: this.options.tools,
        signal: this.controller.signal,
        turnTimeoutMs: this.options.budgets.turnTimeoutMs,
        heartbeatMs: this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        clock: this.clock,
        position: this.position(),
        emit: this.emit,
        context: (signal, onProgress) => this.toolContext(signal, onProgress),
        parseErrors,
        outcomes,
        answered,
      });
    } catch (error) {
      await this.closeCalls(assistant, calls, outcomes, error);
      throw error;
    }
    const finished = outcomes as ToolOutcome[];
    await this.closeCalls(assistant, calls, finished, undefined);
    this.guard.record(calls, finished, parseErrors);
  }

  /**
   * Appends one tool message per call, in call order, and persists them with the assistant message
   * that asked for them, as one unit. A call that never finished (the run stopped first) gets a
   * stand-in error result, so the conversation, stored or returned, stays valid to continue or
   * replay. When that save fails, its persistence_error replaces the reason the run stopped: the
   * caller must learn that the conversation was not saved.
   */
  private async closeCalls(
    assistant: AssistantMessage,
    calls: readonly ToolCall[],
    outcomes: readonly (ToolOutcome | undefined)[],
    stop: unknown,
  ): Promise<void> {
    const reason = stop === undefined ? 'the run stopped' : toRunFailure(stop).message;
    const results = calls.map((call, index): Message => {
      const outcome = outcomes[index];
      const message: Message = {
        role: 'tool',
        toolCallId: call.id,
        toolName: call.name,
        content: outcome ? outcome.content : `no result (the run stopped: ${reason})`,
      };
      if (!outcome || outcome.isError) message.isError = true;
      if (outcome?.provenance) {
        message.provenance = outcome.provenance;
        this.provenance.add(outcome.provenance);
      }
      return message;
    });
    const images = toolImages(calls, outcomes, this.options.model, results);
    if (images) results.push(images);
    this.messages.push(...results);
    await this.persist([assistant, ...results]);
  }

  private toolContext(signal: AbortSignal, onProgress: (message: string) => void): ToolContext {
    const { workspace, sessionId, userId, agentId, approve, provider, model } = this.options;
    const context: ToolContext = { workspace, signal, onProgress, provider: provider.name, model: model.id };
    if (sessionId !== undefined) context.sessionId = sessionId;
    if (agentId !== undefined) context.agentId = agentId;
    if (userId !== undefined) context.userId = userId;
    if (approve !== undefined) context.approve = approve;
    if (this.provenance.list.length > 0) context.provenance = this.provenance.list;
    return context;
  }

  /** Steering reaches the model after the tool batch it arrived during. */
  private async deliverSteering(): Promise<void> {
    const delivered = this.inbox.takeSteering().map((text) => this.addUserMessage(text, 'steering'));
    await this.persist(delivered);
  }

  /** After a final answer: pending steering first, else the next follow-up. False when nothing waits. */
  private async takeQueued(): Promise<boolean> {
    const steering = this.inbox.takeSteering();
    const followUp = steering.length === 0 ? this.inbox.takeFollowUp() : undefined;
    if (steering.length === 0 && followUp === undefined) return false;
    this.budget.beforeContinuing();
    const delivered = steering.map((text) => this.addUserMessage(text, 'steering'));
    if (followUp !== undefined) delivered.push(this.addUserMessage(followUp, 'follow_up'));
    await this.persist(delivered);
    return true;
  }

  private addUserMessage(text: string, kind: 'steering' | 'follow_up'): Message {
    const message: Message = { role: 'user', content: text };
    this.messages.push(message);
    this.emit({ type: 'user_message', text, kind });
    return message;
  }

  /** One completed unit to the caller's persist hook (if any), awaited before the loop goes on. */
  private persist(unit: Message[]): Promise<void> {
    return persistUnit(this.options.persist, unit, this.provenance.list);
  }

  private throwIfStopped(): void {
    if (this.controller.aborted) throw abortReason(this.controller);
  }

  private moveTo(state: TurnState): void {
    this.state.transition(state, this.budget.turns);
  }

  private position(): TurnPosition {
    return { turn: this.budget.turns, maxTurns: this.options.budgets.maxTurns };
  }

  private end(status: RunStatus, error?: unknown): RunResult {
    const failure = error === undefined ? undefined : toRunFailure(error);
    if (status !== 'completed' && !this.state.terminal) {
      this.moveTo(status === 'cancelled' ? 'cancelled' : 'failed');
    }
    const result: RunResult = {
      status,
      text: this.answerText.text,
      usage: this.budget.usage,
      costUsd: this.budget.costUsd,
      turns: this.budget.turns,
      messages: this.messages,
    };
    if (failure) result.error = failure;
    this.emit({
      type: status === 'completed' ? 'run_completed' : 'run_failed',
      text: result.text,
      usage: result.usage,
      costUsd: result.costUsd,
      turns: result.turns,
      ...(failure ? { error: failure } : {}),
    });
    return result;
  }
}
