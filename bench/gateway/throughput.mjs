// bench/gateway.mjs section (d): --clients WebSocket clients (one user and session each) sending
// turns back to back for --seconds; turns/s and assistant_delta frames/s received.
import { rssMb, startGateway } from './gateway-process.mjs';
import { connect, hello, turn } from './protocol.mjs';
import { round } from './setup.mjs';

export async function sectionD(bench, { clientCount, chunkCount, seconds }) {
  const loadDir = bench.workspace('load');
  const load = await startGateway(bench, loadDir);
  const clients = await Promise.all(
    Array.from({ length: clientCount }, async (_, i) => {
      const client = await connect(load.wsUrl);
      client.sessionId = await hello(client, { user_id: `load${i}`, create_new_session: true });
      return client;
    }),
  );
  await Promise.all(clients.map((client) => turn(client))); // warm-up
  for (const client of clients) client.deltas = 0;
  let turnsDone = 0;
  let stop = false;
  const began = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(load.child.pid));
  }, 250);
  await Promise.all(
    clients.map(async (client) => {
      while (!stop) {
        await turn(client);
        turnsDone++;
        if (performance.now() - began >= seconds * 1000) stop = true;
      }
    }),
  );
  const elapsedS = (performance.now() - began) / 1000;
  clearInterval(sampler);
  const deltas = clients.reduce((sum, client) => sum + client.deltas, 0);
  const unexpected = clients.reduce((sum, client) => sum + client.unexpected, 0);
  for (const client of clients) client.socket.close();
  await load.stop();
  const deltasPerS = deltas / elapsedS;
  return {
    d_throughput: {
      clients: clientCount,
      chunks_per_answer: chunkCount,
      seconds: round(elapsedS),
      turns: turnsDone,
      turns_per_s: round(turnsDone / elapsedS),
      assistant_delta_frames: deltas,
      delta_frames_per_s: Math.round(deltasPerS),
      peak_rss_mb: round(peakRss),
      unexpected_final_frames: unexpected,
      target: '>= 10,000 assistant_delta frames/s',
      meets_target: deltasPerS >= 10_000,
    },
  };
}
