/**
 * Loaded local models, kept for the life of the process: loading a model and allocating its
 * context cost far more than a call, so every call on the same file and settings reuses one
 * chat over one context sequence (the library re-evaluates only the part of the history that
 * changed). Calls on one model run one at a time, since a sequence holds one conversation.
 * node-llama-cpp itself is imported on the first load, from where locate.ts found it; its
 * prebuilt binaries are used and nothing is ever compiled (`build: 'never'`).
 */
import { pathToFileURL } from 'node:url';
import { importModule } from '@oxydra/types';
import type { Llama, LlamaChat, LlamaContext, LlamaModel } from 'node-llama-cpp';
import type { LocalModelSettings } from '../define.js';
import { holdLocalModels } from './held.js';
import { requireLlamaCpp } from './locate.js';

type LlamaModule = typeof import('node-llama-cpp');

export interface LoadedModel {
  readonly module: LlamaModule;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chat: LlamaChat;
  /** Runs `work` after every earlier call on this model has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

let modulePromise: Promise<LlamaModule> | undefined;
/** One llama.cpp backend per GPU choice (CPU only, or the best the machine has). */
const backends = new Map<string, Promise<Llama>>();
const models = new Map<string, Promise<LoadedModel>>();

function loadModule(): Promise<LlamaModule> {
  modulePromise ??= importModule(pathToFileURL(requireLlamaCpp()).href).then(
    (module) => module as LlamaModule,
  );
  // A failed import is retried at the next call (the user may install the package meanwhile).
  modulePromise.catch(() => {
    modulePromise = undefined;
  });
  return modulePromise;
}

function backend(module: LlamaModule, cpuOnly: boolean): Promise<Llama> {
  const key = cpuOnly ? 'cpu' : 'auto';
  let llama = backends.get(key);
  if (!llama) {
    llama = module.getLlama({
      build: 'never',
      gpu: cpuOnly ? false : 'auto',
      progressLogs: false,
      logLevel: module.LlamaLogLevel.error,
    });
    backends.set(key, llama);
    llama.catch(() => backends.delete(key));
  }
  return llama;
}

/** The model at `path` with these settings, loaded on first use. */
export function loadLocalModel(path: string, settings: LocalModelSettings): Promise<LoadedModel> {
  const key = JSON.stringify([path, settings.contextSize, settings.gpuLayers, settings.threads]);
  let loaded = models.get(key);
  if (!loaded) {
    loaded = open(path, settings);
    models.set(key, loaded);
    loaded.catch(() => models.delete(key));
  }
  return loaded;
}

async function open(path: string, settings: LocalModelSettings): Promise<LoadedModel> {
  const module = await loadModule();
  const llama = await backend(module, settings.gpuLayers === 0);
  const model = await llama.loadModel({
    modelPath: path,
    ...(settings.gpuLayers !== undefined ? { gpuLayers: settings.gpuLayers } : {}),
  });
  try {
    const context = await model.createContext({
      ...(settings.contextSize !== undefined ? { contextSize: settings.contextSize } : {}),
      ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    });
    const chat = new module.LlamaChat({ contextSequence: context.getSequence(), autoDisposeSequence: false });
    let queue: Promise<unknown> = Promise.resolve();
    return {
      module,
      llama,
      model,
      context,
      chat,
      exclusive<T>(work: () => Promise<T>): Promise<T> {
        const run = queue.then(work, work);
        queue = run.catch(() => undefined);
        return run;
      },
    };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/**
 * Frees every loaded model, its context and the llama.cpp backends (memory, threads, GPU
 * buffers). The next call loads again. Hosts reach it through held.ts's releaseLocalModels.
 */
async function unloadLocalModels(): Promise<void> {
  const loaded = [...models.values()];
  models.clear();
  for (const entry of await Promise.allSettled(loaded)) {
    if (entry.status !== 'fulfilled') continue;
    entry.value.chat.dispose();
    await entry.value.context.dispose();
    await entry.value.model.dispose();
  }
  const llamas = [...backends.values()];
  backends.clear();
  for (const llama of await Promise.allSettled(llamas)) {
    if (llama.status === 'fulfilled') await llama.value.dispose();
  }
}

holdLocalModels({ unload: unloadLocalModels, count: () => models.size });
