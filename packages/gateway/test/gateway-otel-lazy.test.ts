/**
 * OpenTelemetry costs nothing when off: a gateway and kernel (the compiled packages, as the
 * binary runs them) serving a turn with [otel] off never load @oxydra/otel nor any
 * @opentelemetry module; the same probe with it on does (so the probe sees them when they load).
 * Each run is a fresh Node process whose module loads are recorded (fixtures/otel-probe.mjs).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./fixtures/otel-probe.mjs', import.meta.url));

async function runProbe(otel: 'on' | 'off'): Promise<{ turn: number; metrics: number; loaded: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [probe, otel], { timeout: 25_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('OpenTelemetry is loaded lazily', () => {
  it('with [otel] off, no OpenTelemetry module is loaded, even after a turn and a /metrics request', async () => {
    const off = await runProbe('off');
    expect(off).toEqual({ turn: 200, metrics: 404, loaded: [] });
  });

  it('with [otel] on, the same probe sees @oxydra/otel and the SDK load', async () => {
    const on = await runProbe('on');
    expect(on.turn).toBe(200);
    expect(on.metrics).toBe(200);
    expect(on.loaded.some((url) => url.includes('/packages/otel/dist/'))).toBe(true);
    expect(on.loaded.some((url) => url.includes('/node_modules/@opentelemetry/sdk-trace/'))).toBe(true);
  });
});
