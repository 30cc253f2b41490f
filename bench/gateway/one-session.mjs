// bench/gateway.mjs sections (e) and (g): one stored session over the protocol, turn after turn;
// (g)'s turns each carry a tool call and its ~2 KB result.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMockProcess } from '../mock-process.mjs';
import { mockWorkspace } from '../mock-workspace.mjs';
import { cpuTicksOf, MS_PER_TICK, startGateway } from './gateway-process.mjs';
import { connect, hello, turn } from './protocol.mjs';
import { BENCH_TOML, round } from './setup.mjs';

// ---- (e) one stored session, turn after turn ----
export async function sectionE(bench, { sessionTurns }) {
  return {
    e_one_session: await oneSession(
      bench,
      sessionTurns,
      'e',
      bench.workspace('one-session'),
      'stream please',
      bench.mockPid,
    ),
  };
}

// ---- (g) one stored session whose turns carry a tool call and its ~2 KB result ----
export async function sectionG(bench, { sessionTurns }) {
  const { bin, root, children } = bench;
  const payload = `BENCH-PAYLOAD ${'0123456789abcdef'.repeat(128)}\n`; // ~2 KB
  const scenario = join(root, 'tool-scenario.json');
  writeFileSync(
    scenario,
    JSON.stringify({
      steps: [
        {
          match: { lastMessageContains: 'BENCH-PAYLOAD' },
          reply: { text: 'The file holds the payload.' },
          times: 'always',
        },
        {
          match: { lastMessageContains: 'read the big file' },
          reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'big.txt' } }] },
          times: 'always',
        },
      ],
    }),
  );
  const { url, child } = await startMockProcess(bin, scenario);
  children.add(child);
  try {
    // Its own workspace, with section e's raised frame limit: at ~13 ms a turn it sends more than
    // the default 50 frames/s, and a refused send_turn (before its error named the request) hung it.
    const dir = mockWorkspace(join(root, 'tool-session'), url, BENCH_TOML, bench.gatewayEnv, bin);
    writeFileSync(join(dir, 'big.txt'), payload);
    return {
      g_one_session_with_tools: await oneSession(
        bench,
        sessionTurns,
        'g',
        dir,
        'read the big file',
        child.pid,
      ),
    };
  } finally {
    child.kill('SIGTERM');
    children.delete(child);
  }
}

/**
 * Turn after turn in one stored session: the median latency around turns 10, 100, 220, 1,000,
 * and the CPU per turn there of the gateway and of the mock model (`mockPid`), whose share of a
 * turn grows with the request it parses, as a real provider's time grows with the context.
 */
async function oneSession(bench, sessionTurns, section, dir, prompt, mockPid) {
  const sessionGateway = await startGateway(bench, dir);
  const sessionClient = await connect(sessionGateway.wsUrl);
  // Warm-up in another session first, so turn 10 measures a warm process, not the JIT.
  sessionClient.sessionId = await hello(sessionClient, { user_id: 'long', create_new_session: true });
  for (let i = 0; i < 30; i++) await turn(sessionClient, prompt);
  const measured = sessionClient.next(['session_created', 'error'], 'measured');
  sessionClient.send({ type: 'create_session', payload: { request_id: 'measured' } });
  const created = await measured;
  if (created.type !== 'session_created')
    throw new Error(`create_session failed: ${created.payload.message}`);
  sessionClient.sessionId = created.payload.session.session_id;
  const turnMs = [];
  // The gateway's CPU time (user + system, clock ticks) before each turn and after the last.
  const cpuTicks = [];
  const mockTicks = [];
  const pid = sessionGateway.child.pid;
  for (let i = 0; i < sessionTurns; i++) {
    const began = performance.now();
    cpuTicks.push(cpuTicksOf(pid));
    mockTicks.push(cpuTicksOf(mockPid));
    await turn(sessionClient, prompt);
    turnMs.push(performance.now() - began);
    if ((i + 1) % 250 === 0)
      process.stderr.write(`(${section}) ${i + 1}/${sessionTurns} turns in one session\n`);
  }
  cpuTicks.push(cpuTicksOf(pid));
  mockTicks.push(cpuTicksOf(mockPid));
  sessionClient.socket.close();
  await sessionGateway.stop();
  /** Turns [from, to) of a window of `size` around turn `n` (1-based), inside the run. */
  const windowAt = (n, size) => {
    const from = Math.max(0, Math.min(n - 1 - Math.floor(size / 2), sessionTurns - size));
    return [from, Math.min(sessionTurns, from + size)];
  };
  /** The median latency of the 30 turns around turn `n` (10 were too few on a busy machine). */
  const turnAt = (n) => {
    const [from, to] = windowAt(n, 30);
    const window = turnMs.slice(from, to).sort((a, b) => a - b);
    return window[Math.floor(window.length / 2)];
  };
  /** A process's CPU ms per turn over the 50 turns around turn `n`, from its `ticks`: time spent waiting for a core is not in it. */
  const cpuOf = (ticks) => (n) => {
    const [from, to] = windowAt(n, 50);
    return ((ticks[to] - ticks[from]) * MS_PER_TICK) / (to - from);
  };
  const cpuAt = cpuOf(cpuTicks);
  const mockCpuAt = cpuOf(mockTicks);
  // --session-turns past 1,000: its last turn too.
  const sessionPoints = [...new Set([10, 100, 220, 1000, Math.max(1000, sessionTurns)])].filter(
    (n) => n <= sessionTurns,
  );
  const ratio = (f, n) => Math.round((f(n) / f(sessionPoints[0])) * 100) / 100;
  const growth = turnAt(sessionPoints.at(-1)) / turnAt(10);
  return {
    turns: sessionTurns,
    median_ms_at_turn: Object.fromEntries(sessionPoints.map((n) => [n, round(turnAt(n))])),
    ratio_to_turn_10: Object.fromEntries(sessionPoints.map((n) => [n, ratio(turnAt, n)])),
    growth_last_over_turn_10: Math.round(growth * 100) / 100,
    gateway_cpu_ms_per_turn_at: Object.fromEntries(sessionPoints.map((n) => [n, round(cpuAt(n))])),
    gateway_cpu_ratio_to_turn_10: Object.fromEntries(sessionPoints.map((n) => [n, ratio(cpuAt, n)])),
    mock_model_cpu_ms_per_turn_at: Object.fromEntries(sessionPoints.map((n) => [n, round(mockCpuAt(n))])),
    target: 'turn 220 (and 1,000) <= 1.2x turn 10',
    meets_target: growth <= 1.2 && (sessionTurns < 220 || turnAt(220) / turnAt(10) <= 1.2),
  };
}
