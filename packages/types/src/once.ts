/**
 * A value built at its first use and kept. The configuration's and the gateway protocol's zod
 * schemas are made this way, so loading their modules builds nothing: zod 4 makes each schema
 * with all its methods as closures, and building them all at load was ~30 ms of `oxydra
 * gateway`'s start (docs/gateway.md), where a command parses only a few.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
