/**
 * The scheduler service: every poll it claims the schedules that are due (run-claims.ts) and
 * runs each as a kernel agent for the schedule's user, with that user's budgets and the
 * agent's permissions, under the operator's per-run limits ([scheduler] max_turns, max_cost,
 * run_timeout_secs) which no schedule can raise. Nobody watches a scheduled run: approval
 * questions are refused (a privileged call under "ask" is denied with how to allow it).
 * How each run ended is recorded and said to listeners (the gateway's scheduled_notification).
 *
 * Catch-up: runs that fell due while no scheduler was running are made up by one run when it
 * starts (trigger "catch_up", `missed` counting the others), then the schedule keeps its rhythm.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '@oxydra/runtime';
import {
  type AgentConfig,
  type ControlStoreGroup,
  isOxydraError,
  OxydraError,
  UsageError,
} from '@oxydra/types';
import type { AgentDescription } from '../assemble/agent.js';
import { Admission, type Release } from '../services/admission.js';
import type { KernelAudit } from '../services/audit/audit-log.js';
import type { BudgetSnapshot } from '../services/budgets/accounts.js';
import { lowerCostLimit } from '../services/budgets/cost-limits.js';
import type { SpecKernel } from '../spec/spec-kernel.js';
import type { AgentHandle, AgentResult, SpawnSpec } from '../types.js';
import { type ClaimedRun, RunClaims, type RunOutcome } from './run-claims.js';
import type { ScheduleCalls, ScheduleScope } from './schedule-calls.js';
import type { ScheduleInfo, ScheduleNotification, ScheduleRun } from './types.js';

/** Stored answers are cut here: history is for reading back, the session keeps the whole. */
const MAX_OUTPUT_CHARS = 20_000;
const MIN_LEASE_MS = 30_000;

export interface SchedulerDeps {
  /** Where schedules and run claims are kept: the kernel database's control stores, or PostgreSQL's. */
  stores: ControlStoreGroup;
  audit: KernelAudit;
  config: AgentConfig;
  calls: ScheduleCalls;
  clock: Clock;
  spawn: (spec: SpawnSpec) => AgentHandle;
  /**
   * The kernel's agent for a spawn (kernel.describe): a run's limits are its configured ones
   * under the operator's, resolved where the kernel resolves them (in the workspace, cached for
   * the spawn that follows), not again here.
   */
  describe: (spec: Pick<SpawnSpec, 'agent'>) => Pick<AgentDescription, 'limits'>;
  checkBudget: (agentId: string) => BudgetSnapshot | undefined;
  warn: (message: string) => void;
  /**
   * The kernel's per-user limit, shared with chat turns: a run of a user at the limit waits for a
   * slot (FIFO, behind the user's waiting turns) rather than being skipped, so no run is lost.
   * One of several gateway processes on one store: the slot is the deployment's (Admission.join).
   */
  admission?: Admission;
  /** What a spec schedule's runs run through (the kernel's spec runner); absent: they fail. */
  specKernel?: SpecKernel;
}

/** A run of this process: waiting for its user's slot (`waiting` aborts the wait), then its agent. */
interface RunEntry {
  handle?: AgentHandle;
  waiting: AbortController;
  done: Promise<ScheduleRun | undefined>;
  /** Stopped by the process (the scheduler's stop, or its cut-off from the deployment): recorded interrupted. */
  interrupted?: boolean;
}

export type NotificationListener = (notification: ScheduleNotification) => void;

/** The shortest wait before a schedule's due time: its run starts at most this late. */
const MIN_WAIT_MS = 250;

export class Scheduler {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #deps: SchedulerDeps;
  readonly #claims: RunClaims;
  readonly #running = new Map<string, RunEntry>();
  readonly #listeners = new Set<NotificationListener>();
  readonly #startListeners = new Set<(claim: ClaimedRun) => void>();
  #timer: unknown;
  #started = false;
  #stopping = false;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    const settings = deps.config.scheduler;
    const pollMs = settings.poll_interval_secs * 1000;
    this.#claims = new RunClaims(
      deps.stores,
      this.owner,
      {
        maxConcurrent: settings.max_concurrent,
        leaseMs: Math.max(3 * pollMs, MIN_LEASE_MS),
        catchUpAfterMs: 2 * pollMs,
        autoDisableAfter: settings.auto_disable_after_failures,
        maxRunHistory: settings.max_run_history,
      },
      deps.audit,
    );
  }

  get started(): boolean {
    return this.#started;
  }

  /** Runs of this process not yet finished. */
  running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Polls now and then every poll_interval_secs until stop(), or sooner when a schedule it knows
   * of falls due before then: a run due in 2 s starts in 2 s, not at the next poll. (Schedules
   * other processes add are seen at the next poll.)
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    const poll = () => {
      void this.tick()
        .then(() => this.#untilNextPoll())
        .then((wait) => {
          if (this.#started) this.#timer = this.#deps.clock.setTimeout(poll, wait);
        });
    };
    poll();
  }

  async #untilNextPoll(): Promise<number> {
    const pollMs = this.#deps.config.scheduler.poll_interval_secs * 1000;
    let due: number | undefined;
    try {
      due = await this.#claims.nextDueAt();
    } catch {
      return pollMs; // the poll itself reports a database problem
    }
    const wait = due === undefined ? pollMs : due - this.#deps.clock.now();
    // Due already yet not started (max_concurrent reached): the next poll, never a busy loop.
    return wait <= 0 ? pollMs : Math.min(pollMs, Math.max(MIN_WAIT_MS, wait));
  }

  /**
   * Stops polling and stops this process's running runs: they are recorded as interrupted (not
   * failures), and their schedules go on at their next time.
   */
  async stop(reason = 'the scheduler is stopping'): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#running.values()].map((entry) => interrupt(entry, reason)));
    await this.idle();
  }

  /** Settles when every run this process started has been recorded. */
  async idle(): Promise<void> {
    while (this.#running.size > 0)
      await Promise.allSettled([...this.#running.values()].map((entry) => entry.done));
  }

  /** The tick in progress: two ticks of one process never interleave (the store's transaction keeps other processes out). */
  #ticking: Promise<unknown> = Promise.resolve();

  /** One poll: renew leases, record runs other processes left behind, start what is due. */
  tick(): Promise<ClaimedRun[]> {
    const next = this.#ticking.then(() => this.#tickNow());
    this.#ticking = next;
    return next;
  }

  async #tickNow(): Promise<ClaimedRun[]> {
    try {
      const now = this.#deps.clock.now();
      await this.#claims.renew(now);
      const { claimed, interrupted, paused } = await this.#claims.claimDue(now);
      for (const run of interrupted) await this.#audit(run, { status: run.status });
      for (const schedule of paused)
        this.#deps.warn(`scheduler: ${schedule.id} "${schedule.name}" ${schedule.disabledReason}`);
      for (const claim of claimed) this.#launch(claim);
      return claimed;
    } catch (error) {
      this.#deps.warn(`scheduler: ${(error as Error).message}`);
      return [];
    }
  }

  /** Runs a schedule now, outside its timing; its result is recorded like any run. */
  async runNow(
    idOrName: string,
    scope: ScheduleScope,
  ): Promise<{ run: ScheduleRun; done: Promise<ScheduleRun | undefined> }> {
    const schedule = await this.#deps.calls.get(idOrName, scope);
    const claim = await this.#claims.claimManual(schedule.id, this.#deps.clock.now());
    if (claim && 'paused' in claim) {
      throw new UsageError(`${schedule.id} "${schedule.name}" is ${claim.paused.disabledReason}`);
    }
    if (!claim) {
      throw new OxydraError(
        'internal_error',
        `${this.#deps.config.scheduler.max_concurrent} scheduled runs are already running, the most allowed at once`,
        { hint: 'try again when one ends ([scheduler] max_concurrent sets the limit)' },
      );
    }
    await this.#deps.audit.record(
      scope.actor,
      'schedule_run_now',
      { id: schedule.id, run: claim.run.id },
      `schedule:${schedule.id}`,
    );
    const done = this.#launch(claim);
    return { run: claim.run, done };
  }

  /** Listens for finished runs; returns the unsubscribe. */
  subscribe(listener: NotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hears of every run this process starts; returns the unsubscribe. */
  onStarted(listener: (claim: ClaimedRun) => void): () => void {
    this.#startListeners.add(listener);
    return () => this.#startListeners.delete(listener);
  }

  #launch(claim: ClaimedRun): Promise<ScheduleRun | undefined> {
    for (const listener of this.#startListeners) {
      try {
        listener(claim);
      } catch (error) {
        this.#deps.warn(`scheduler: a listener failed: ${(error as Error).message}`);
      }
    }
    const entry: RunEntry = { waiting: new AbortController(), done: Promise.resolve(undefined) };
    this.#running.set(claim.run.id, entry);
    entry.done = this.#execute(claim, entry).finally(() => this.#running.delete(claim.run.id));
    return entry.done;
  }

  async #execute(claim: ClaimedRun, entry: RunEntry): Promise<ScheduleRun | undefined> {
    let outcome: RunOutcome;
    let release: Release | undefined;
    let unhook = () => {};
    try {
      release = await this.#deps.admission?.acquire({ userId: claim.schedule.userId }, entry.waiting.signal);
      // This process cut off from the deployment: the others reap the run's claim, so it stops,
      // recorded interrupted as at a stop (its schedule goes on at its next time).
      if (release) unhook = Admission.stopOnCutOff(release, (why) => void interrupt(entry, why.message));
      if (claim.schedule.directive !== undefined) outcome = await this.#specRun(claim, entry);
      else {
        const handle = this.#deps.spawn(this.#spawnSpec(claim));
        entry.handle = handle;
        // Cut off before the spawn: the run never starts.
        if (entry.waiting.signal.aborted) void handle.cancel(String(entry.waiting.signal.reason));
        outcome = this.#outcome(await handle.result, entry);
      }
    } catch (error) {
      const message = (error as Error).message;
      const hint = isOxydraError(error) && error.hint ? ` (${error.hint})` : '';
      // Stopped while waiting for the user's slot: interrupted like a running run, not a failure.
      outcome = entry.waiting.signal.aborted
        ? { status: 'interrupted', error: message }
        : { status: 'failed', error: `${message}${hint}` };
    } finally {
      unhook();
      await release?.();
    }
    let finished: Awaited<ReturnType<RunClaims['finish']>>;
    try {
      finished = await this.#claims.finish(claim.run.id, outcome, this.#deps.clock.now());
    } catch (error) {
      this.#deps.warn(`scheduler: could not record run ${claim.run.id}: ${(error as Error).message}`);
      return undefined;
    }
    const run = finished?.run ?? { ...claim.run, ...outcome };
    await this.#audit(run, {
      status: run.status,
      ...(run.costUsd !== undefined ? { cost_usd: run.costUsd } : {}),
      ...(finished?.disabled ? { disabled: true } : {}),
    });
    if (finished) this.#notify(finished.schedule, run, finished.failures, finished.disabled);
    return run;
  }

  /** A spec schedule's run, through the kernel's spec runner (spec-run.ts, loaded only for one). */
  async #specRun(claim: ClaimedRun, entry: RunEntry): Promise<RunOutcome> {
    const spec = claim.schedule.directive;
    const kernel = this.#deps.specKernel;
    if (!spec || !kernel) {
      return { status: 'failed', error: "the schedule's spec could not be read; delete it and add it again" };
    }
    const { runScheduledSpec } = await import('./spec-run.js');
    // The spawn fields of a plain run (its limits, user, agent); runSpec writes each attempt's prompt.
    const spawn: Omit<SpawnSpec, 'prompt'> = this.#spawnSpec(claim);
    return runScheduledSpec({
      kernel,
      spec,
      prompt: claim.schedule.prompt,
      preamble: this.#preamble(claim),
      // Stopping the scheduler aborts this: the current attempt is killed and no other starts.
      spawn: { ...spawn, signal: entry.waiting.signal },
      onAgent: (handle) => {
        entry.handle = handle;
      },
      outcomeOf: (result) => this.#outcome(result, entry),
    });
  }

  #preamble({ schedule, run }: ClaimedRun): string {
    const due = new Date(run.dueAt).toLocaleString('en-GB', {
      timeZone: schedule.timezone,
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    return [
      `Scheduled task "${schedule.name}" (${schedule.timing}, ${schedule.timezone}; due ${due}).`,
      'Nobody is watching this run: do the task, then answer with what the user should know.',
    ].join('\n');
  }

  #spawnSpec(claim: ClaimedRun): SpawnSpec {
    const { schedule } = claim;
    const settings = this.#deps.config.scheduler;
    // The agent's own limits, as the kernel resolved them; the operator's may only lower them.
    const own = this.#deps.describe(schedule.agent !== undefined ? { agent: schedule.agent } : {}).limits;
    return {
      prompt: `${this.#preamble(claim)}\n\n${schedule.prompt}`,
      ...(schedule.agent !== undefined ? { agent: schedule.agent } : {}),
      userId: schedule.userId,
      limits: {
        maxTurns: Math.min(own.maxTurns, settings.max_turns),
        // The error for a model whose cost cannot be tracked names the cap that binds.
        ...lowerCostLimit(own, settings.max_cost, 'scheduler.max_cost'),
        maxWallMs: settings.run_timeout_secs * 1000,
      },
      askApprovals: false,
    };
  }

  #outcome(result: AgentResult, entry: RunEntry): RunOutcome {
    // The agent's account holds what its sub-agents spent too: the whole price of the run.
    const spent = this.#deps.checkBudget(result.agentId);
    const usage = spent?.usage ?? result.usage;
    const cost = spent ? spent.costUsd.used : result.costUsd;
    const status =
      result.status === 'completed'
        ? 'completed'
        : result.status === 'failed'
          ? 'failed'
          : this.#stopping || entry.interrupted
            ? 'interrupted'
            : 'cancelled';
    return {
      status,
      output:
        result.text.length > MAX_OUTPUT_CHARS
          ? `${result.text.slice(0, MAX_OUTPUT_CHARS)}\n[cut]`
          : result.text,
      ...(result.error ? { error: result.error.message } : {}),
      agentId: result.agentId,
      ...(result.sessionId !== undefined ? { sessionId: result.sessionId } : {}),
      turns: result.turns,
      ...(usage.inputTokens !== undefined ? { inputTokens: usage.inputTokens } : {}),
      ...(usage.outputTokens !== undefined ? { outputTokens: usage.outputTokens } : {}),
      ...(cost !== null && cost !== undefined ? { costUsd: cost } : {}),
    };
  }

  #notify(schedule: ScheduleInfo, run: ScheduleRun, failures: number, disabled: boolean): void {
    const notifyAfter = this.#deps.config.scheduler.notify_after_failures;
    const notification: ScheduleNotification = {
      schedule,
      run,
      alert: run.status === 'failed' && notifyAfter > 0 && failures >= notifyAfter,
      disabled,
    };
    for (const listener of this.#listeners) {
      try {
        listener(notification);
      } catch (error) {
        this.#deps.warn(`scheduler: a notification listener failed: ${(error as Error).message}`);
      }
    }
  }

  async #audit(run: ScheduleRun, data: Record<string, unknown>): Promise<void> {
    // A record of what happened: a store that refuses it is warned of, the run is not lost.
    await this.#deps.audit
      .record(
        'scheduler',
        'schedule_run',
        { id: run.scheduleId, run: run.id, user: run.userId, trigger: run.trigger, ...data },
        `schedule:${run.scheduleId}`,
      )
      .catch((error: unknown) =>
        this.#deps.warn(`scheduler: could not audit run ${run.id}: ${(error as Error).message}`),
      );
  }
}

/** Stops a run this process holds: recorded interrupted (not a failure), its schedule goes on. */
function interrupt(entry: RunEntry, reason: string): Promise<void> | undefined {
  entry.interrupted = true;
  entry.waiting.abort(new Error(reason));
  return entry.handle?.cancel(reason);
}
