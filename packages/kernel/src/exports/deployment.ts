/**
 * `@oxydra/kernel/deployment`: a process as one member of a deployment of several on one store
 * (issue 33): its beat, the reaping of dead members' runs, the kernel's per-user limit made the
 * deployment's, and the stop of its runs when it is cut off. The gateway composes it with its own
 * parts; `oxydra scheduler run`, `oxydra schedule run-now` and `oxydra mcp serve` on PostgreSQL are
 * members through it alone, and report a dead gateway's session turn they reap with
 * `reapedTurnReporter` (no gateway loaded).
 */
export {
  DeploymentMember,
  type DeploymentMemberOptions,
  type MemberHealth,
  type MemberLog,
  RELEASED_TOPIC,
} from '../services/deployment-member.js';
export {
  interruptedTurnFrame,
  isTurnRun,
  reapedTurnReporter,
  SESSION_TOPIC,
  type TurnRun,
} from '../services/interrupted-turn.js';
