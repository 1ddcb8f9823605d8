/**
 * Offline inspection of saved runs: the engine's side of the `inspect.*` channels. A small
 * cache holds the runs opened last (their folder, data and rebuilt network); work on one run
 * is done one request at a time, since a request moves its network to its snapshot.
 */
import { rmSync } from 'node:fs';
import { ownedTempDir } from '../tempDirs';
import { join } from 'node:path';
import { ContractError, RELU_FAMILY, INSPECT_MAX_TOP_K, type DatasetOrigin, type DatasetRef, type InspectOpenModelRequest, type InspectLayerView, type InspectRun, type InspectSample, type InspectUnitStats, type InspectUnitView, type Surface } from '@contract';
import { InputPlane } from '../training/inputPlane';
import { readRunFolder, readSnapshot, snapshotEpoch, type RunFolder } from './runFolder';
import { loadRunDataset, loadedDataset, readDataset, type RunDataset } from './runDataset';
import { readDroppedModel, readSafetensorsModel, readTfjsModel, type OutsideModel } from './outsideModel';
import { isOutsideId, newOutsideId, outsideSpec, writeOutsideRun } from './outsideRun';
import type { Dataset } from '../datasets';
import { SnapshotNetwork } from './snapshotNetwork';
import { layerUnitStats, sampleIndices, unitActivations } from './activations';
import { diedAt, histogram, incomingWeights, rankedIndices, sampleImage, sampleLabel, weightImages } from './summaries';

/** Runs kept open: one being looked at, one compared with it. */
const CACHED_RUNS = 2;
const DEFAULT_TOP_K = 8;
/** Models from elsewhere kept open (their temporary run folder and data); the oldest is removed. */
const OUTSIDE_RUNS = 4;

/** A dataset loaded in the engine (dropped on the Data screen), with where it came from. */
export type LoadedLookup = (id: string) => { dataset: Dataset; origin: DatasetOrigin | null } | null;

interface OutsideRun {
  data: RunDataset;
  file: string;
}

interface OpenRun {
  key: string;
  folder: RunFolder;
  data: RunDataset;
  net: SnapshotNetwork;
  plane: InputPlane | null;
  /** Per-unit statistics by `step/layer/sample`: the unit map and every unit's history reuse them. */
  stats: Map<string, InspectUnitStats>;
  /** Requests on this run, one after another. */
  queue: Promise<unknown>;
}

export class Inspector {
  private readonly runs = new Map<string, OpenRun>();
  private readonly loading = new Map<string, Promise<OpenRun>>();
  /** Models from elsewhere, by run id: their run folders live in `outsideRoot`. */
  private readonly outside = new Map<string, OutsideRun>();
  private outsideRoot: string | null = null;

  constructor(private readonly loaded: LoadedLookup = () => null) {}

  /** Whether `runId` names a model from elsewhere opened in this engine: its run folder is the engine's own. */
  isOutside(runId: string): boolean {
    return isOutsideId(runId) && this.outside.has(runId);
  }

  /** The run (opened and cached on first use), with `work` done after any other work on it. */
  private async withRun<T>(runsDir: string, runId: string, work: (run: OpenRun) => Promise<T> | T): Promise<T> {
    const run = await this.open(runsDir, runId);
    const next = run.queue.then(() => work(run));
    run.queue = next.catch(() => undefined);
    return next;
  }

  private async open(runsDir: string, runId: string): Promise<OpenRun> {
    const folder = readRunFolder(this.isOutside(runId) ? this.outsideRoot! : runsDir, runId);
    const key = folder.dir;
    const cached = this.runs.get(key);
    // A run still training gains snapshots: the folder is read again every time, the rest kept.
    if (cached) {
      cached.folder = folder;
      this.runs.delete(key);
      this.runs.set(key, cached);
      return cached;
    }
    // Two first requests at once load the run once.
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(key, folder).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async load(key: string, folder: RunFolder): Promise<OpenRun> {
    const outside = this.outside.get(folder.runId);
    const data = outside?.data ?? (await loadRunDataset(folder));
    const net = SnapshotNetwork.build(folder, data.data, outside !== undefined);
    const is2d = data.data.inputShape.length === 1 && data.data.inputShape[0] === 2;
    const run: OpenRun = { key, folder, data, net, plane: is2d ? new InputPlane() : null, stats: new Map(), queue: Promise.resolve() };
    this.runs.set(key, run);
    while (this.runs.size > CACHED_RUNS) {
      const oldest = this.runs.keys().next().value as string;
      const gone = this.runs.get(oldest)!;
      this.runs.delete(oldest);
      // Disposed after the work queued on it.
      void gone.queue.then(() => {
        gone.net.dispose();
        gone.plane?.dispose();
      });
    }
    return run;
  }

  private atStep(run: OpenRun, step: number): void {
    if (run.net.loadedStep === step) return;
    const snapshot = readSnapshot(run.folder, step);
    run.net.load(step, snapshot.tensors, `${run.folder.runId}/snapshots/step-${String(step).padStart(8, '0')}.safetensors`);
  }

  private layerAt(run: OpenRun, name: string): { position: number; activation: string; type: string } {
    const position = run.net.network.layers.findIndex((l) => l.name === name);
    if (position < 0) {
      throw new ContractError({ code: 'not-found', message: `run ${run.folder.runId} has no layer "${name}" (layers: ${run.net.network.layers.map((l) => l.name).join(', ')})`, issues: [{ path: 'layer', message: 'no such layer' }] });
    }
    const layer = run.net.network.layers[position]!;
    return { position, activation: layer.activation, type: layer.spec.type };
  }

  private imageShape(run: OpenRun): number[] | null {
    const shape = run.data.data.inputShape;
    return shape.length === 3 && (shape[2] === 1 || shape[2] === 3) ? shape : null;
  }

  private async stats(run: OpenRun, step: number, name: string, sample: number | undefined): Promise<InspectUnitStats> {
    const key = `${step}/${name}/${sample ?? 'all'}`;
    const cached = run.stats.get(key);
    if (cached) return cached;
    this.atStep(run, step);
    const { position, activation } = this.layerAt(run, name);
    const stats = await layerUnitStats(run.net.network, run.data.data, position, activation, sampleIndices(run.data.data.train.count, sample));
    run.stats.set(key, stats);
    return stats;
  }

  async inspectOpen(runsDir: string, runId: string): Promise<InspectRun> {
    return this.withRun(runsDir, runId, (run) => {
      const { folder, data, net } = run;
      const shape = data.data.inputShape;
      const kind = this.imageShape(run) ? 'image' : shape.length === 1 && shape[0] === 2 ? 'points' : 'other';
      const snapshots = folder.snapshots.map(({ step }) => ({ step, epoch: this.epochOf(run, step) }));
      return {
        runId: folder.runId,
        name: folder.record.name,
        status: this.outside.has(folder.runId) ? 'trained elsewhere' : folder.record.status,
        ...(this.outside.has(folder.runId) ? { outside: { file: this.outside.get(folder.runId)!.file } } : {}),
        seed: folder.record.seed,
        spec: folder.spec,
        snapshots,
        layers: net.network.layers.map((layer) => ({
          index: layer.index,
          name: layer.name,
          type: layer.spec.type,
          activation: layer.activation,
          outputShape: layer.outputShape,
          units: layer.spec.type === 'dense' ? layer.spec.units : layer.spec.type === 'conv2d' ? layer.spec.filters : (layer.outputShape[layer.outputShape.length - 1] ?? 0),
          roles: layer.variables.map((v) => v.role),
          weightImages: layer.spec.type === 'conv2d' || (layer.spec.type === 'dense' && this.denseOnImage(run, layer.index)),
        })),
        dataset: {
          name: data.data.name,
          origin: data.origin,
          inputShape: shape,
          task: data.data.task,
          outputs: data.data.outputs,
          count: data.data.train.count,
          classNames: data.data.classNames ?? null,
          kind,
        },
      };
    });
  }

  /** The epoch a snapshot was taken in, from its header; read once per step. */
  private readonly epochs = new Map<string, number>();
  private epochOf(run: OpenRun, step: number): number {
    const key = `${run.key}#${step}`;
    let epoch = this.epochs.get(key);
    if (epoch === undefined) {
      epoch = snapshotEpoch(run.folder, step);
      this.epochs.set(key, epoch);
    }
    return epoch;
  }

  private denseOnImage(run: OpenRun, index: number): boolean {
    const image = this.imageShape(run);
    const shape = run.net.report.layers.find((l) => l.index === index);
    return image !== null && shape !== undefined && shape.inputShape.length === 1 && shape.inputShape[0] === image.reduce((a, b) => a * b, 1);
  }

  async inspectLayer(runsDir: string, runId: string, step: number, name: string, sample?: number): Promise<InspectLayerView> {
    return this.withRun(runsDir, runId, async (run) => {
      const { type } = this.layerAt(run, name);
      const snapshot = readSnapshot(run.folder, step);
      const layer = run.net.network.layers.find((l) => l.name === name)!;
      const weights = layer.variables.flatMap(({ role }) => {
        const tensor = snapshot.tensors.get(`${name}/${role}`);
        return tensor ? [{ role, shape: tensor.shape, histogram: histogram(tensor.data) }] : [];
      });
      const kernel = snapshot.tensors.get(`${name}/kernel`);
      const images = kernel && (type === 'conv2d' || this.denseOnImage(run, layer.index)) ? weightImages(type, kernel.shape, kernel.data, this.imageShape(run)) : null;
      const units = await this.stats(run, step, name, sample);
      return { step, layer: name, weights, images, units };
    });
  }

  async inspectUnit(runsDir: string, runId: string, step: number, name: string, unit: number, sample?: number, k = DEFAULT_TOP_K): Promise<InspectUnitView> {
    return this.withRun(runsDir, runId, async (run) => {
      const { position, activation } = this.layerAt(run, name);
      const units = run.net.network.layers[position]!.outputShape.at(-1) ?? 0;
      if (unit >= units) throw new ContractError({ code: 'invalid-payload', message: `unit ${unit}: layer ${name} has ${units} units (0 to ${units - 1})`, issues: [{ path: 'unit', message: 'out of range' }] });
      // Every snapshot's statistics first (cached per layer), then the chosen one's activations.
      const history: InspectUnitView['history'] = [];
      for (const { step: at } of run.folder.snapshots) history.push({ step: at, active: (await this.stats(run, at, name, sample)).active[unit]! });
      this.atStep(run, step);
      const indices = sampleIndices(run.data.data.train.count, sample);
      const { values, perSample } = await unitActivations(run.net.network, run.data.data, position, unit, indices);
      const take = Math.min(k, INSPECT_MAX_TOP_K);
      const describe = (at: number): InspectSample => {
        const index = indices[at]!;
        const is2d = run.data.data.inputShape.length === 1 && run.data.data.inputShape[0] === 2;
        const x = run.data.dataset.splits.train.x;
        return {
          index,
          value: perSample[at]!,
          label: sampleLabel(run.data.dataset, index),
          image: sampleImage(run.data.dataset, index),
          point: is2d ? [Number(x[2 * index]), Number(x[2 * index + 1])] : null,
        };
      };
      const stats = await this.stats(run, step, name, sample);
      const weights: InspectUnitView['weights'] = [];
      for (const { step: at } of run.folder.snapshots) {
        const snapshot = readSnapshot(run.folder, at);
        const kernel = snapshot.tensors.get(`${name}/kernel`);
        const bias = snapshot.tensors.get(`${name}/bias`);
        if (kernel) weights.push({ step: at, weights: incomingWeights(kernel.shape, kernel.data, unit), bias: bias ? bias.data[unit]! : null });
      }
      const relu = (RELU_FAMILY as readonly string[]).includes(activation);
      return {
        step,
        layer: name,
        unit,
        samples: indices.length,
        histogram: histogram(values),
        active: stats.active[unit]!,
        top: rankedIndices(perSample, take, 'top').map(describe),
        bottom: rankedIndices(perSample, take, 'bottom').map(describe),
        history,
        diedAt: relu ? diedAt(history) : null,
        weights,
      };
    });
  }

  async inspectSurface(runsDir: string, runId: string, step: number): Promise<Surface> {
    return this.withRun(runsDir, runId, async (run) => {
      if (!run.plane) {
        throw new ContractError({ code: 'invalid-payload', message: `run ${run.folder.runId}: its input has shape [${run.data.data.inputShape.join(', ')}]; the input plane needs 2-D inputs` });
      }
      this.atStep(run, step);
      return run.plane.measure(run.net.network);
    });
  }

  /**
   * Opens a model from elsewhere over a dataset: read and mapped to a spec, written as a run of
   * one snapshot in the engine's temporary folder, and answered as `inspect.open` answers.
   */
  async openModel(request: InspectOpenModelRequest): Promise<InspectRun> {
    if (!this.outsideRoot) {
      const root = ownedTempDir('trainbench-outside-');
      this.outsideRoot = root;
      // The engine exits without disposing its inspector: its temporary runs go with the process, as uploads do.
      process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    }
    const id = newOutsideId();
    const ref0 = request.model;
    let model: OutsideModel;
    if (ref0.kind === 'files') {
      // Read into memory, the dropped files are not needed once the run folder holds the snapshot.
      const dropDir = join(this.outsideRoot, `${id}-files`);
      try {
        model = readDroppedModel(dropDir, ref0.files);
      } finally {
        rmSync(dropDir, { recursive: true, force: true });
      }
    } else model = ref0.kind === 'tfjs' ? readTfjsModel(ref0.path) : readSafetensorsModel(ref0.path, ref0.specPath);
    const ref: DatasetRef | undefined = request.dataset ?? model.spec?.dataset;
    if (!ref) throw new ContractError({ code: 'invalid-payload', message: `${model.file}: no dataset given: pick the data to inspect the model over`, issues: [{ path: 'dataset', message: 'required' }] });
    const normalization = request.normalization ?? model.spec?.normalization ?? 'none';
    let data: RunDataset;
    let origin: DatasetOrigin | null = null;
    if (ref.kind === 'loaded') {
      const entry = this.loaded(ref.id);
      if (!entry) throw new ContractError({ code: 'invalid-payload', message: `dataset.id: no dataset "${ref.id}" is loaded in this engine: load it again on the Data screen`, issues: [{ path: 'dataset.id', message: 'not loaded' }] });
      origin = entry.origin;
      data = loadedDataset(entry.dataset, normalization, origin && origin.kind !== 'upload' ? origin : null);
    } else {
      data = await readDataset(ref, normalization);
    }
    const spec = outsideSpec(model, ref, normalization, data.data);
    writeOutsideRun(this.outsideRoot, id, spec, model, origin);
    this.outside.set(id, { data, file: model.file });
    while (this.outside.size > OUTSIDE_RUNS) {
      const oldest = this.outside.keys().next().value as string;
      this.outside.delete(oldest);
      rmSync(join(this.outsideRoot, oldest), { recursive: true, force: true });
    }
    try {
      // Its weights are loaded now: a tensor missing or of another shape is refused at opening, not on the first view.
      await this.withRun(this.outsideRoot, id, (run) => this.atStep(run, 0));
      return await this.inspectOpen(this.outsideRoot, id);
    } catch (error) {
      this.outside.delete(id);
      rmSync(join(this.outsideRoot, id), { recursive: true, force: true });
      throw error;
    }
  }

  dispose(): void {
    if (this.outsideRoot) rmSync(this.outsideRoot, { recursive: true, force: true });
    for (const run of this.runs.values()) {
      run.net.dispose();
      run.plane?.dispose();
    }
    this.runs.clear();
  }
}
