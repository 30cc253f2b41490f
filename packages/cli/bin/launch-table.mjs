// The launcher table (launch-table.cjs, its one home) for ES modules: src/run/gateway-heap.ts,
// scripts/launcher-sh.mjs and the tests import it from here; bin/oxydra.js requires the
// CommonJS file itself. Types: launch-table.d.mts.
export {
  HEAP_GROWING_FLAG,
  HEAP_GROWING_PERCENT_ENV,
  LAUNCH_TABLE,
  v8FlagDefault,
  v8FlagName,
} from './launch-table.cjs';
