/**
 * The engine's request handlers and job bookkeeping, independent of the transport so that
 * tests can drive it in-process. One training job at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { ContractError, type BackendName, type EngineInfo } from '@contract';
import type { Emit, Handlers } from './dispatcher';
import { selectBackend, type BackendChoice } from './backend/selectBackend';
import { XorJob } from './jobs/xorJob';

export interface EngineOptions {
  backend?: BackendName;
  utilityProcess: boolean;
}

export interface Engine {
  handlers: Handlers;
  info(): EngineInfo;
}

export async function createEngine(options: EngineOptions, emit: Emit): Promise<Engine> {
  const choice: BackendChoice = await selectBackend(options.backend);
  let job: XorJob | null = null;
  let nextJob = 1;

  const info = (): EngineInfo => ({
    tfjsVersion: tf.version.tfjs,
    backend: choice.backend,
    backends: choice.backends,
    nodeVersion: process.versions.node,
    pid: process.pid,
    platform: `${process.platform}-${process.arch}`,
    utilityProcess: options.utilityProcess,
  });

  const findJob = (jobId: string): XorJob => {
    if (!job || job.id !== jobId) throw new ContractError({ code: 'not-found', message: `no training job "${jobId}" in this engine` });
    return job;
  };

  const handlers: Handlers = {
    'engine.info': () => info(),
    'train.xor': (request) => {
      if (job && (job.status === 'running' || job.status === 'paused')) {
        throw new ContractError({ code: 'busy', message: `job ${job.id} is still ${job.status}: stop it before starting another` });
      }
      const created = new XorJob(`job-${nextJob++}`, request, {
        onProgress: (event) => emit('train.progress', event),
        onStatus: (event) => emit('train.status', event),
      });
      job = created;
      void created.run();
      return { jobId: created.id };
    },
    'train.pause': ({ jobId }) => ({ status: findJob(jobId).pause() }),
    'train.resume': ({ jobId }) => ({ status: findJob(jobId).resume() }),
    'train.stop': ({ jobId }) => ({ status: findJob(jobId).stop() }),
  };

  return { handlers, info };
}
