/**
 * The engine's request handlers and job bookkeeping, independent of the transport so that
 * tests can drive it in-process. One training job at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { ContractError, inferShapes, type BackendName, type EngineInfo, type JobStatus, type RunFinal, type Snapshot, type Spec } from '@contract';
import type { Emit, Handlers } from './dispatcher';
import { selectBackend, type BackendChoice } from './backend/selectBackend';
import { Trainer, SpecError } from './training/trainer';
import type { TrainingData } from './training/trainingData';
import type { DatasetRegistry } from './datasetRegistry';
import { RunWriter } from './runs/runWriter';
import { listRuns, markInterrupted } from './runs/runStore';
import { exportRun, renameRun, tagRun } from './runs/runActions';
import { exportRunAsPytorch, exportSpecAsPytorch, specDataLabel } from './export/runExport';
import { loadPresets } from './presets';
import { DEFAULT_FLUSH_INTERVAL_MS, UpdateBatcher } from './progressBatcher';
import { readMemory } from './memoryReadout';
import { Diagnosis, staticChecks, type StaticData } from './diagnosis/diagnosis';
import type { Finding } from '@contract';
import { engineMemory } from './memory';
import { diagnoseHandlers } from './diagnoseHandlers';
import { Inspector } from './inspect/inspector';
import { inspectHandlers } from './inspect/handlers';
import { RateGate } from './rateGate';
import { TRAINBENCH_VERSION } from './version';

export interface EngineOptions {
  backend?: BackendName;
  utilityProcess: boolean;
  /** The datasets this engine holds and loads. */
  datasets: DatasetRegistry;
}

export interface Engine {
  handlers: Handlers;
  info(): EngineInfo;
}

export { TRAINBENCH_VERSION };

/**
 * Least time between two train.snapshot events: every snapshot is on disk, and nothing in the
 * app listens to the event (train.snapshot, the request, gives the weights now); clients get
 * one a second at most. (Histograms of every snapshot step do go out: the monitor's slider
 * steps through them.)
 */
export const CLIENT_SNAPSHOT_MS = 1000;

function specIssues(error: SpecError): ContractError {
  const issues = error.issues.map((i) => ({ path: `spec.${i.path}`, message: i.message }));
  return new ContractError({
    code: 'invalid-payload',
    message: `the spec cannot be built: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  });
}

/** What the static checks need of the data: task, outputs, shape, the raw value range and a regression's target range. */
function staticData(data: TrainingData): StaticData {
  return { task: data.task, outputs: data.outputs, inputShape: data.inputShape, valueRange: data.rawRange ?? { min: 0, max: 1 }, ...(data.targetRange ? { targetRange: data.targetRange } : {}) };
}

export async function createEngine(options: EngineOptions, emit: Emit): Promise<Engine> {
  const choice: BackendChoice = await selectBackend(options.backend);
  let job: Trainer | null = null;
  const liveRunDirs = new Set<string>();
  let lastSnapshot: Snapshot | null = null;
  let nextJob = 1;
  const inspector = new Inspector((id) => options.datasets.loadedDataset(id));

  const info = (): EngineInfo => ({
    tfjsVersion: tf.version.tfjs,
    backend: choice.backend,
    backends: choice.backends,
    nodeVersion: process.versions.node,
    pid: process.pid,
    platform: `${process.platform}-${process.arch}`,
    utilityProcess: options.utilityProcess,
    ...(choice.threads() ? { threads: choice.threads()! } : {}),
  });

  const findJob = (jobId: string): Trainer => {
    if (!job || job.jobId !== jobId) throw new ContractError({ code: 'not-found', message: `no training job "${jobId}" in this engine` });
    return job;
  };
  const active = (): boolean => job !== null && (job.status === 'running' || job.status === 'paused');

  const requireRunsDir = (channel: string, runsDir: string | undefined): string => {
    if (!runsDir) throw new ContractError({ code: 'invalid-payload', message: `${channel}: no runs folder given and none configured`, issues: [{ path: 'runsDir', message: 'required' }] });
    return runsDir;
  };

  const handlers: Handlers = {
    'engine.info': () => info(),
    'engine.memory': () => engineMemory(),
    'presets.list': () => loadPresets(),
    'dataset.load': ({ source, normalization, name }) => options.datasets.load(source, normalization, name),
    'dataset.upload.begin': ({ name, files }) => options.datasets.beginUpload(name, files),
    'dataset.upload.chunk': ({ uploadId, file, offset, data }) => options.datasets.chunk(uploadId, file, offset, data),
    'dataset.upload.finish': ({ uploadId, kind, normalization, read }) => options.datasets.finishUpload(uploadId, kind, normalization, read),
    'dataset.upload.cancel': ({ uploadId }) => options.datasets.cancelUpload(uploadId),
    'dataset.list': () => options.datasets.list(),
    'dataset.preview': ({ id, n, split, seed }) => options.datasets.preview(id, n, split, seed),
    'runs.list': ({ runsDir }) => {
      const dir = runsDir;
      if (!dir) throw new ContractError({ code: 'invalid-payload', message: 'runs.list: no runs folder given and none configured', issues: [{ path: 'runsDir', message: 'required' }] });
      // Runs this engine is not writing, left "running" by an engine that died, are interrupted.
      markInterrupted(dir, liveRunDirs);
      return listRuns(dir, liveRunDirs);
    },
    'runs.rename': ({ runId, name, runsDir }) => renameRun(requireRunsDir('runs.rename', runsDir), runId, name),
    'runs.tag': ({ runId, tags, runsDir }) => tagRun(requireRunsDir('runs.tag', runsDir), runId, tags),
    'runs.export': ({ runId, what, runsDir }) => (what === 'pytorch' ? exportRunAsPytorch(requireRunsDir('runs.export', runsDir), runId) : exportRun(requireRunsDir('runs.export', runsDir), runId, what)),
    'spec.check': async ({ spec }) => {
      let data: TrainingData | null = null;
      let dataError: string | null = null;
      try {
        data = await options.datasets.resolve(spec);
      } catch (error) {
        dataError = error instanceof Error ? error.message : String(error);
      }
      const report = inferShapes(spec, data ? { inputShape: data.inputShape, task: data.task, outputs: data.outputs } : undefined);
      return {
        data: data ? { name: data.name, inputShape: data.inputShape, task: data.task, outputs: data.outputs } : null,
        dataError,
        layers: report.layers,
        issues: report.issues,
        totalParams: report.totalParams,
        trainableParams: report.trainableParams,
        flopsPerSample: report.flopsPerSample,
        activationBytesPerSample: report.activationBytesPerSample,
        outputShape: report.outputShape,
        findings: data && report.issues.length === 0 ? staticChecks(spec, staticData(data)) : [],
      };
    },
    'spec.export': async ({ spec }) => {
      const data = await options.datasets.resolve(spec);
      return exportSpecAsPytorch(spec, data, specDataLabel(spec, data.name, options.datasets.origin(spec)));
    },
    'train.start': async ({ spec, runsDir }) => {
      if (active()) throw new ContractError({ code: 'busy', message: `job ${job!.jobId} is still ${job!.status}: stop it before starting another` });
      const data = await options.datasets.resolve(spec);
      if (active()) throw new ContractError({ code: 'busy', message: 'another job started while the data loaded' });
      const jobId = `job-${nextJob++}`;
      let trainer: Trainer | null = null;
      let diagnosis: Diagnosis | null = null;
      // Static checks come first: the spec and the data are wrong before any step is taken.
      const statics = staticChecks(spec, staticData(data));
      const raise = (finding: Finding, change: 'new' | 'update'): void => {
        writer?.appendFinding({ change, ...finding });
        emit('train.finding', { jobId, finding, change });
      };
      // Metrics reach the run folder in the same batches as they reach clients, disk first: what
      // a client has seen is on disk, even if the engine dies the next instant.
      const updates = new UpdateBatcher(jobId, (update) => {
        writer?.appendMetrics([...update.points.map((p) => ({ type: 'step', ...p })), ...update.epochs.map((e) => ({ type: 'epoch', ...e }))]);
        emit('train.update', update);
        written();
      }, DEFAULT_FLUSH_INTERVAL_MS, readMemory);
      let writer: RunWriter | null = null;
      const snapshotGate = new RateGate(CLIENT_SNAPSHOT_MS);
      // A write that fails (full or read-only disk) stops the run cleanly and says why.
      const written = (): void => {
        if (writer?.error && trainer && (trainer.status === 'running' || trainer.status === 'paused')) trainer.stop();
      };
      try {
        trainer = new Trainer(jobId, spec, data, choice.backend, {
          onStart: (info) => {
            diagnosis = new Diagnosis(spec, info, {}, statics);
            diagnosis.subscribe((finding, change) => {
              updates.flush();
              raise(finding, change);
            });
          },
          onStep: (point) => {
            updates.step(point);
            diagnosis?.onStep(point);
          },
          onEpoch: (summary) => {
            updates.epoch(summary);
            diagnosis?.onEpoch(summary);
          },
          onProbe: (step, epoch, layers, surface) => {
            updates.probed({ step, epoch, layers, surface });
            diagnosis?.onProbe({ step, epoch, layers, surface });
          },
          onSnapshot: (snapshot) => {
            diagnosis?.onSnapshot(snapshot);
            updates.flush();
            lastSnapshot = snapshot;
            writer?.writeSnapshot(snapshot);
            if (snapshotGate.pass()) emit('train.snapshot', snapshot);
            written();
          },
          onHistograms: (set) => {
            updates.flush();
            writer?.appendHistograms(set);
            emit('train.histograms', set);
            written();
          },
          onNonFinite: (report) => {
            diagnosis?.onNonFinite(report);
            updates.flush();
            writer?.appendMetrics([{ type: 'nonFinite', ...report }]);
            emit('train.nonFinite', report);
          },
          onStatus: (status, final, error) => {
            if (final) diagnosis?.finish(final);
            updates.flush();
            // The final model is written before run.json says the run ended, so an ended run's model is whole.
            const snapshot = lastSnapshot?.jobId === jobId ? lastSnapshot : null;
            if (writer && snapshot && (status === 'done' || status === 'stopped')) {
              void writer.writeModel(spec, data.inputShape, snapshot).then(() => report(status, final, error));
            } else report(status, final, error);
          },
        });
        const report = (status: JobStatus, final: RunFinal | undefined, error: string | undefined): void => {
          const diskError = writer?.error ?? null;
          const ended = status === 'done' || status === 'stopped' || status === 'failed';
          const shown = ended && diskError ? 'failed' : status;
          const why = error ?? (ended ? diskError : null) ?? undefined;
          if (ended && writer) {
            writer.finish(shown, final ?? null, why ?? null);
            liveRunDirs.delete(writer.dir);
          }
          emit('train.status', { jobId, status: shown, ...(final ? { final } : {}), ...(why ? { error: why } : {}) });
        };
        if (runsDir) {
          writer = new RunWriter(runsDir, spec, choice.backend, { tfjs: tf.version.tfjs, node: process.versions.node, trainbench: TRAINBENCH_VERSION });
          writer.setJob({ ...trainer.info, runDir: writer.dir });
          const origin = options.datasets.origin(spec);
          if (origin) writer.setDatasetOrigin(origin);
          if (data.preparation) writer.setDataPreparation(data.preparation);
          liveRunDirs.add(writer.dir);
        }
      } catch (error) {
        trainer?.discard();
        if (error instanceof SpecError) throw specIssues(error);
        if (runsDir && !writer) throw new ContractError({ code: 'failed', message: error instanceof Error ? error.message : String(error) });
        throw error;
      }
      job = trainer;
      lastSnapshot = null;
      for (const finding of statics) raise({ ...finding, state: 'active' }, 'new');
      void trainer.run();
      return writer ? { ...trainer.info, runDir: writer.dir } : trainer.info;
    },
    'train.pause': ({ jobId }) => ({ status: findJob(jobId).pause() }),
    'train.resume': ({ jobId }) => ({ status: findJob(jobId).resume() }),
    'train.stop': ({ jobId }) => ({ status: findJob(jobId).stop() }),
    'train.snapshot': async ({ jobId }) => {
      const trainer = findJob(jobId);
      if (trainer.status === 'running' || trainer.status === 'paused') return trainer.snapshot();
      if (lastSnapshot && lastSnapshot.jobId === jobId) return lastSnapshot;
      throw new ContractError({ code: 'not-found', message: `job ${jobId} ended without a snapshot` });
    },
    ...diagnoseHandlers({ datasets: options.datasets, backend: choice.backend, emit }),
    ...inspectHandlers(inspector),
  };

  return { handlers, info };
}
