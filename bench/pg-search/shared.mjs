// bench/pg-search.mjs: what its modules share, the schema the stores are opened on, the results
// per search, and how figures are rounded.
import { percentile } from '../stats.mjs';

export const SCHEMA = 'bench';
export const TOP_K = 8;
export const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const mb = (bytes) => round(Number(bytes) / 2 ** 20, 1);
export const p50 = (samples) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ),
  );
