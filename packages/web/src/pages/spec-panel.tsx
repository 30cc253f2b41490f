/**
 * The session page's spec run panel: the directive (goal, constraints, criteria and how each is
 * checked) and, per attempt, each criterion's verdict with its evidence line, plus the
 * checkpoint that undoes the attempt, and the sub-agent a criterion's work ran in when the attempt
 * was split. Every value is shown as text, never as markup.
 */
import type { SpecRun } from '../api-types.js';
import { Badge } from '../ui/common.js';

function toneOf(state: string): 'ok' | 'bad' | 'neutral' {
  return state === 'passed' ? 'ok' : state === 'failed' ? 'bad' : 'neutral';
}

export function SpecPanel(props: { spec: SpecRun }) {
  const { directive, attempts } = props.spec;
  return (
    <section class="spec-run" aria-label="Spec run">
      <h2>
        Spec run <Badge value={props.spec.state} tone={toneOf(props.spec.state)} />{' '}
        <small>
          {attempts.length} of {props.spec.max_attempts} attempts
        </small>
      </h2>
      <dl class="facts">
        <dt>Goal</dt>
        <dd>{directive.goal}</dd>
        {directive.constraints.length > 0 ? (
          <>
            <dt>Constraints</dt>
            <dd>
              <ul>
                {directive.constraints.map((constraint) => (
                  <li key={constraint}>{constraint}</li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      {attempts.map((attempt) => (
        <div class="spec-attempt" key={attempt.attempt}>
          <h3>
            Attempt {attempt.attempt}{' '}
            <Badge value={attempt.passed ? 'passed' : 'failed'} tone={attempt.passed ? 'ok' : 'bad'} />
            {attempt.checkpoint_before ? (
              <small>
                {' '}
                undo: <code>oxydra checkpoints restore {attempt.checkpoint_before.slice(0, 12)}</code>
              </small>
            ) : null}
          </h3>
          <ul class="spec-criteria">
            {attempt.results.map((result) => {
              const sub = attempt.sub_agents?.find((s) => s.criterion_id === result.id);
              return (
                <li key={result.id}>
                  <Badge value={result.passed ? 'pass' : 'fail'} tone={result.passed ? 'ok' : 'bad'} />{' '}
                  <code>{result.id}</code> {result.text}
                  {sub ? (
                    <small class="spec-sub-agent">
                      {' '}
                      (sub-agent {sub.name} <code>{sub.agent_id}</code>)
                    </small>
                  ) : null}
                  {result.detail ? <pre class="spec-detail">{result.detail}</pre> : null}
                </li>
              );
            })}
          </ul>
        </div>
      ))}
      {attempts.length === 0 ? (
        <ul class="spec-criteria">
          {directive.criteria.map((criterion) => (
            <li key={criterion.id}>
              <code>{criterion.id}</code> {criterion.text} <small>({criterion.kind})</small>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
