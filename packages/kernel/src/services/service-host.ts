/**
 * Holds the services of one kernel (or one openServices): each opened on first ask, once, and
 * closed with the holder in the reverse order of opening.
 */
import type { KernelServices, ServiceName } from './registry.js';
import type { ServiceContext } from './service-context.js';

export type ServiceContextInput = Omit<ServiceContext, 'atClose'>;

export class ServiceHost {
  readonly #context: ServiceContext;
  readonly #opening = new Map<ServiceName, Promise<unknown>>();
  readonly #opened = new Map<ServiceName, unknown>();
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closed = false;

  constructor(context: ServiceContextInput) {
    this.#context = { ...context, atClose: (close) => this.#closers.push(close) };
  }

  /** The named service, opened on the first call (the same instance after). */
  service<N extends ServiceName>(name: N): Promise<KernelServices[N]> {
    if (this.#closed) return Promise.reject(new Error('the kernel is closed'));
    let opening = this.#opening.get(name) as Promise<KernelServices[N]> | undefined;
    if (!opening) {
      // The openers load at the first ask: a run that asks for no service never loads them.
      opening = import('./registry.js')
        .then(({ SERVICE_OPENERS }) => {
          const opener = SERVICE_OPENERS[name] as (
            context: ServiceContext,
            lookup: ServiceHost['service'],
          ) => Promise<KernelServices[N]>;
          return opener(this.#context, (other) => this.service(other));
        })
        .then((service) => {
          this.#opened.set(name, service);
          return service;
        });
      // A failed open is not cached: the next ask tries again (e.g. after the fix).
      opening.catch(() => this.#opening.delete(name));
      this.#opening.set(name, opening);
    }
    return opening;
  }

  /** Several services at once, by name: what a command uses, and nothing else. */
  async services<N extends ServiceName>(...names: N[]): Promise<Pick<KernelServices, N>> {
    const opened = await Promise.all(names.map((name) => this.service(name)));
    return Object.fromEntries(names.map((name, i) => [name, opened[i]])) as Pick<KernelServices, N>;
  }

  /** A service already opened, for synchronous paths (agent assembly); undefined otherwise. */
  opened<N extends ServiceName>(name: N): KernelServices[N] | undefined {
    return this.#opened.get(name) as KernelServices[N] | undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#opening.values());
    for (const close of this.#closers.reverse()) await close();
  }
}
