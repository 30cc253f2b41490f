/**
 * `@oxydra/kernel/spec`: spec-first execution for every host — a request crystallized into a
 * directive (goal, constraints, acceptance criteria), executed through kernel.agents.spawn,
 * evaluated per criterion and retried with the failures.
 */
export type { DirectiveInput } from '../spec/crystallize.js';
export {
  type Criterion,
  type Directive,
  directiveFromFields,
  formatDirective,
  parseCriteria,
} from '../spec/directive.js';
export type { CriterionResult } from '../spec/mechanical.js';
export { type AttemptRecord, formatSpecRecord, loadSpecRecord, type SpecRecord } from '../spec/record.js';
export {
  MAX_ATTEMPTS_LIMIT,
  type SpecFields,
  type SpecRequest,
  type SpecSummary,
  specFields,
  specFieldsSchema,
  specInput,
  specRequestSchema,
  specSummary,
  specSummaryText,
} from '../spec/request.js';
export { runSpecRequest, type SpecRequestOutcome, type SpecRequestRun } from '../spec/run-request.js';
export { DEFAULT_MAX_ATTEMPTS, runSpec, type SpecOutcome, type SpecRunOptions } from '../spec/run-spec.js';
export type { SpecKernel } from '../spec/spec-kernel.js';
