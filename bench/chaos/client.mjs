// bench/chaos.mjs: one WebSocket client of the run, sending turns back to back on its own session,
// reconnecting through the proxy when its connection drops and learning from hello_ack how its
// turn stands. What the clients see goes into the run's state: every turn by marker, reconnects,
// failed hellos, completed turns' latencies and examples of unexpected errors.
import { randomBytes } from 'node:crypto';
import { sleep, WebSocket } from '../deployment.mjs';

export const userId = (index) => `chaos-user-${index}`;

/** What happened to a turn, for the report of one that went wrong. */
function note(state, turn, what) {
  if (turn.journal.length < 30)
    turn.journal.push(`${((Date.now() - state.startedAt) / 1000).toFixed(2)} s ${what}`);
}

function openSocket(deployment) {
  return new WebSocket(deployment.wsUrl, {
    headers: { authorization: `Bearer ${deployment.token}` },
    perMessageDeflate: false,
  });
}

export class ChaosClient {
  /** `state`: the run's (see chaos.mjs), shared by its clients and added to as turns go. */
  constructor(index, state) {
    this.state = state;
    this.index = index;
    this.user = userId(index % this.state.userCount);
    this.sessionId = undefined;
    this.socket = undefined;
    this.generation = 0;
    this.current = undefined; // the turn waiting for its outcome
    this.requests = 0;
  }

  /** Connects through the proxy and says hello (a new session first, then this one by id); retries. */
  connect() {
    // One connection attempt at a time (a drop and a turn's time-out may both ask for one).
    this.connecting ??= this.#connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async #connect() {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      try {
        const ack = await this.#hello();
        return ack;
      } catch (error) {
        this.state.helloFailures++;
        if (Date.now() > this.state.endAt + 60_000)
          throw new Error(`client ${this.index} could not reconnect: ${error}`);
      }
    }
  }

  #hello() {
    return new Promise((resolve, reject) => {
      const socket = openSocket(this.state.deployment);
      const generation = ++this.generation;
      const requestId = `h${++this.requests}`;
      let acked = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error('hello timed out'));
      }, 10_000);
      socket.on('error', () => {});
      socket.once('open', () => {
        socket.send(
          JSON.stringify({
            type: 'hello',
            payload: {
              request_id: requestId,
              protocol_version: 2,
              user_id: this.user,
              ...(this.sessionId ? { session_id: this.sessionId } : { create_new_session: true }),
            },
          }),
        );
      });
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        if (!acked) {
          if (frame.payload?.request_id !== requestId) return;
          clearTimeout(timer);
          if (frame.type !== 'hello_ack') {
            socket.terminate();
            reject(new Error(`hello answered ${frame.type}: ${frame.payload?.message}`));
            return;
          }
          acked = true;
          this.socket = socket;
          this.sessionId = frame.payload.session.session_id;
          resolve(frame.payload);
          return;
        }
        if (generation === this.generation) this.#onFrame(frame);
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (!acked) reject(new Error('closed before hello_ack'));
        else if (generation === this.generation) void this.#onDrop();
      });
    });
  }

  #onFrame(frame) {
    // Every completion counts, even one arriving after its turn was settled (a second answer).
    if (frame.type === 'turn_completed') {
      const answered = this.state.turns.get(String(frame.payload.turn?.turn_id).slice(2));
      if (answered) answered.completions++;
    }
    const turn = this.current;
    if (!turn) return;
    const turnId = frame.payload?.turn?.turn_id;
    const mine =
      turnId === turn.turnId || (turnId === undefined && frame.payload?.request_id === turn.requestId);
    if (!mine) return;
    if (frame.type === 'turn_completed') {
      this.#settle('completed', 'frame');
    } else if (frame.type === 'turn_cancelled') this.#settle('cancelled', 'frame');
    else if (frame.type === 'error') {
      const code = frame.payload.code ?? 'unknown';
      note(this.state, turn, `error ${code}: ${String(frame.payload.message).slice(0, 160)}`);
      if (code !== 'turn_interrupted') {
        const seen = this.state.errorExamples.filter((example) => example.code === code).length;
        const previous = this.state.turns.get(this.previousMarker ?? '');
        if (seen < 3)
          this.state.errorExamples.push({
            at_s: (Date.now() - this.state.startedAt) / 1000,
            code,
            message: String(frame.payload.message).slice(0, 200),
            previous_turn: previous
              ? { outcome: previous.outcome, via: previous.via, turn_id: previous.turnId }
              : null,
          });
      }
      this.#settle(code === 'turn_interrupted' ? 'interrupted' : `error:${code}`, 'frame');
    }
  }

  /** The connection dropped: reconnect, resume the session, learn how the turn stands. */
  async #onDrop() {
    this.state.reconnects++;
    if (this.current) note(this.state, this.current, 'connection dropped');
    const ack = await this.connect().catch(() => undefined);
    this.#applyAck(ack);
  }

  #applyAck(ack) {
    const turn = this.current;
    if (!turn || !ack) return;
    turn.reconnects++;
    const active = ack.active_turn;
    note(this.state, turn, `hello_ack active_turn ${JSON.stringify(active ?? null)}`);
    if (active?.turn_id === turn.turnId) {
      if (active.state === 'running') return; // its final frame comes on this connection
      if (active.state === 'completed') this.#settle('completed', 'hello_ack');
      else if (active.state === 'failed') this.#settle('interrupted', 'hello_ack');
      else this.#settle('cancelled', 'hello_ack');
    } else {
      // The session's last turn is another: this one never started (its frame was lost).
      this.#settle('not_started', 'hello_ack');
    }
  }

  #settle(outcome, via) {
    const turn = this.current;
    if (!turn || turn.outcome) return;
    turn.outcome = outcome;
    turn.via = via;
    turn.settledAt = Date.now();
    this.current = undefined;
    turn.resolve();
  }

  /** Sends one turn and resolves once its outcome is known (or it is given up as unaccounted). */
  async turn(number) {
    const marker = `chaos-${this.state.runId}-c${this.index}-n${number}-${randomBytes(3).toString('hex')}`;
    const turn = {
      marker,
      client: this.index,
      sessionId: this.sessionId,
      turnId: `t-${marker}`,
      sentAt: Date.now(),
      completions: 0,
      reconnects: 0,
      refusals: 0,
      outcome: undefined,
      journal: [],
    };
    this.state.turns.set(marker, turn);
    this.previousMarker = this.currentMarker;
    this.currentMarker = marker;
    // A turn refused with turn_active (the session's turn before still held somewhere) never
    // started: send it again, as a client would, a little later.
    for (;;) {
      await this.#attempt(turn);
      if (
        turn.outcome !== 'error:turn_active' ||
        turn.refusals >= 50 ||
        Date.now() > this.state.endAt + 30_000
      )
        break;
      turn.refusals++;
      turn.outcome = undefined;
      await sleep(100);
    }
    if (turn.outcome === 'completed') this.state.latencies.push(turn.settledAt - turn.sentAt);
    return turn;
  }

  async #attempt(turn) {
    turn.requestId = `r${++this.requests}`;
    const settled = new Promise((resolve) => {
      turn.resolve = resolve;
    });
    this.current = turn;
    note(this.state, turn, 'sent');
    try {
      this.socket.send(
        JSON.stringify({
          type: 'send_turn',
          payload: {
            request_id: turn.requestId,
            session_id: this.sessionId,
            turn_id: turn.turnId,
            prompt: `Please answer this turn. Marker ${turn.marker}.`,
          },
        }),
      );
    } catch {
      // The socket is closing: its close handler reconnects and asks how the turn stands.
    }
    // Nothing for --turn-timeout: ask again on a fresh connection; still nothing: unaccounted.
    for (let round = 0; round < 2 && !turn.outcome; round++) {
      const timer = sleep(this.state.turnTimeoutMs).then(() => 'timeout');
      if ((await Promise.race([settled, timer])) !== 'timeout') break;
      note(this.state, turn, 'no final frame in time');
      if (round === 0) {
        const ack = await this.connect().catch(() => undefined);
        this.#applyAck(ack);
      }
    }
    if (!turn.outcome) this.#settle('unaccounted', 'timeout');
  }

  async run() {
    await this.connect();
    for (let n = 1; Date.now() < this.state.endAt; n++) {
      const turn = await this.turn(n);
      if (turn.outcome.startsWith('error:')) await sleep(200);
    }
    this.generation++;
    this.socket?.close();
  }
}
