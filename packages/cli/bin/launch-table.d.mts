// Types of launch-table.mjs for the TypeScript sources that read it (src/run/gateway-heap.ts).

export interface CommandLaunch {
  readonly bundle: 'cjs' | 'esm';
  readonly runtimeV8Flags?: readonly string[];
  readonly startV8Flags?: readonly string[];
  readonly unlessNodeOptions?: string;
  readonly heapGrowingPercent?: number;
  readonly malloc?: Readonly<Record<string, string>>;
  readonly cacheDir?: string;
  readonly cachePack?: boolean;
}

export declare const HEAP_GROWING_FLAG: '--heap-growing-percent';

export declare const HEAP_GROWING_PERCENT_ENV: 'OXYDRA_GATEWAY_HEAP_GROWING_PERCENT';

export declare const LAUNCH_TABLE: Readonly<
  Record<'tui' | 'runner' | 'run' | 'chat' | 'demo', CommandLaunch> & {
    gateway: CommandLaunch & {
      readonly heapGrowingPercent: number;
      readonly malloc: Readonly<Record<string, string>>;
      readonly startV8Flags: readonly string[];
    };
  }
>;

export declare function v8FlagName(arg: string): string;

export declare function v8FlagDefault(arg: string): string;
