// bench/gateway.mjs section (f): RSS over many stateless turns (the OpenAI-compatible HTTP API, no
// stored session), 10 clients.
import { rssMb, startGateway } from './gateway-process.mjs';
import { round, TOKEN } from './setup.mjs';

export async function sectionF(bench, { statelessTurns }) {
  const statelessGateway = await startGateway(bench, bench.workspace('stateless'));
  const rssAt = {};
  const marks = [100, 1000, 10_000].filter((n) => n <= statelessTurns);
  let sent = 0;
  let completed = 0;
  const began = performance.now();
  async function statelessClient() {
    while (sent < statelessTurns) {
      sent++;
      const response = await fetch(`${statelessGateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hello' }] }),
      });
      if (response.status !== 200) throw new Error(`chat completion: HTTP ${response.status}`);
      await response.arrayBuffer();
      completed++;
      for (const mark of marks) {
        if (completed === mark) {
          rssAt[mark] = rssMb(statelessGateway.child.pid);
          process.stderr.write(`(f) ${mark} stateless turns: ${round(rssAt[mark])} MB\n`);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: 10 }, () => statelessClient()));
  const elapsedS = (performance.now() - began) / 1000;
  await statelessGateway.stop();
  const rssGrowth = rssAt[marks.at(-1)] / rssAt[marks[0]];
  const rssPeak = Math.max(...Object.values(rssAt));
  return {
    f_stateless_rss: {
      turns: statelessTurns,
      turns_per_s: round(statelessTurns / elapsedS),
      rss_mb_after: Object.fromEntries(marks.map((n) => [n, round(rssAt[n])])),
      growth_over_first: Math.round(rssGrowth * 100) / 100,
      target: 'within 10% of the RSS after 100 turns, and <= 120 MB',
      meets_target: rssGrowth <= 1.1 && rssPeak <= 120,
    },
  };
}
