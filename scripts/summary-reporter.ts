/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", after vitest's own
 * summary: CI tooling reads that line, and it stays readable without colours. Each failed test
 * is listed under it with the first line of its error, and, when OXYDRA_TEST_FAILURES_FILE names
 * a file, written there too: CI prints that file last, after the package step's long output, so
 * the failures are what a reader of the run's tail sees. A test that failed and then passed on a
 * retry (CI allows one: OXYDRA_TEST_RETRY in .ci/run) is listed as FLAKY with its first failure,
 * so a retry never hides one. Above the closing line it lists the slowest test files (time of
 * their tests and hooks plus their imports), so where CI's minutes go is in every run's output.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, flaky: 0 };
    const failures: string[] = [];
    const timed: { name: string; ms: number }[] = [];
    for (const module of testModules) {
      const file = relative(process.cwd(), module.moduleId);
      const project = module.project.name ? `[${module.project.name}] ` : '';
      const diagnostic = module.diagnostic();
      timed.push({ name: `${project}${file}`, ms: diagnostic.duration + diagnostic.collectDuration });
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) {
        counts.failed++;
        failures.push(`FAILED ${project}${file}: ${firstLine(module.errors()[0]?.message)}`);
      }
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') {
          counts.passed++;
          const diagnostic = test.diagnostic();
          if (diagnostic?.flaky) {
            counts.flaky++;
            failures.push(
              `FLAKY (passed on retry ${diagnostic.retryCount}) ${project}${file} > ${test.fullName}: ${firstLine(result.errors?.[0]?.message)}`,
            );
          }
        } else if (result.state === 'failed') {
          counts.failed++;
          failures.push(
            `FAILED ${project}${file} > ${test.fullName}: ${firstLine(result.errors?.[0]?.message)}`,
          );
        } else counts.skipped++;
      }
    }
    const flaky = counts.flaky > 0 ? ` (${counts.flaky} of them only on a retry)` : '';
    const summary = `tests: ${counts.passed} passed${flaky}, ${counts.failed} failed, ${counts.skipped} skipped`;
    const text = [summary, ...failures].join('\n');
    process.stdout.write(`\n${slowest(timed)}\n${text}\n`);
    const file = process.env.OXYDRA_TEST_FAILURES_FILE;
    if (file) writeFileSync(file, `${text}\n`);
  }
}

const SLOWEST_SHOWN = 25;

/** The slowest files and the sum over all of them (what two workers share), in seconds. */
function slowest(timed: { name: string; ms: number }[]): string {
  const total = timed.reduce((sum, { ms }) => sum + ms, 0);
  const lines = timed
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOWEST_SHOWN)
    .map(({ name, ms }) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
  return [
    `slowest test files (of ${(total / 1000).toFixed(0)} s over ${timed.length} files):`,
    ...lines,
  ].join('\n');
}

function firstLine(message: string | undefined): string {
  return (message ?? 'no error message').split('\n')[0]?.slice(0, 300) ?? '';
}
