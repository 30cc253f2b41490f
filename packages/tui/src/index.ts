/**
 * @oxydra/tui: the terminal client of the gateway protocol. `runTui` is the Ink app that
 * `oxydra tui` runs; `newTuiClient` is the protocol client under it (@oxydra/gateway-client over
 * `ws`), usable without a terminal.
 */
export { GatewayConnectError } from '@oxydra/gateway-client';
export { newTuiClient, type TuiClientOptions } from './client/tui-client.js';
export { runTui, type TuiOptions, type TuiResult } from './run-tui.js';
