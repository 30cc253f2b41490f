/**
 * Zod turns each object schema's first parse into a function it compiles with `new Function`
 * (its "JIT"), which pays off over thousands of parses and costs a CLI process, which parses most
 * schemas once or a few times: the configuration's first parse took 17-20 ms compiled and 4-7 ms
 * interpreted (Node 20). The setting is read when a schema is built, so this module is imported
 * before any command module (main.ts's `lazy`), never from a library entry point: programs that
 * import `oxydra/kernel` keep Zod's default.
 */
import { config } from 'zod';

config({ jitless: true });
