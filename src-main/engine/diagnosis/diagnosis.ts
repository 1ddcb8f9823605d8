/**
 * The diagnosis of one run, fed by the trainer's stream as it happens. It keeps bounded
 * windows of numbers (never tensors, never whole histories), calls each detector as soon as
 * its evidence can hold (series detectors once per loss block, unit detectors when a probe
 * arrives, duplicate detection when weights arrive) and emits each finding once per code and
 * layer, again only when its evidence grows (more units, a higher severity, the end of a
 * plateau). `staticChecks` runs before training, from the spec and the dataset alone.
 */
import type { EpochSummary, JobInfo, NonFiniteReport, ProbeResult, RunFinal, Snapshot, Spec, StepPoint } from '@contract';
import { findingKey, isActive, type Finding, type FindingCode } from '@contract/findings';
import { causeOf, resolutionWords } from './lifecycle';
import { resolveThresholds, type Thresholds } from './thresholds';
import { advanceStreaks, fmt as fmtShort, makeContext, unitNoun, type DetectorContext, type LayerRef, type UnitStreaks } from './common';
import { deadUnits, isDead, watchesDead } from './detectors/deadUnits';
import { isLinear, linearSettledWords, linearUnits, watchesLinear } from './detectors/linearUnits';
import { isSaturated, saturatedUnits, watchesSaturated } from './detectors/saturatedUnits';
import { advancePairs, duplicatePairs, duplicateUnits, watchesDuplicates, type PairStreak } from './detectors/duplicateUnits';
import { vanishingGradient } from './detectors/vanishingGradient';
import { earlyBaseline, explodingGradient, type EarlyBaseline } from './detectors/explodingGradient';
import { PlateauTracker, plateau, type LossBlock } from './detectors/plateau';
import { oscillatingLoss } from './detectors/oscillatingLoss';
import { divergingLoss, smoothedLoss } from './detectors/divergingLoss';
import { unchangedWeights } from './detectors/unchangedWeights';
import { overfitting } from './detectors/overfitting';
import { nonFinite } from './detectors/nonFinite';
import { lossMismatch } from './detectors/lossMismatch';
import { unnormalizedInput } from './detectors/unnormalizedInput';

/** Told of every new finding, and of every update to one (same code and layer, grown evidence). */
export type FindingListener = (finding: Finding, change: 'new' | 'update') => void;

/** What the dataset tells before training: its task, classes (or target width), sample shape and raw value range. */
export interface StaticData {
  task: 'classification' | 'regression';
  outputs: number;
  inputShape: number[];
  /** Smallest and largest input value in the dataset, before the spec's normalisation. */
  valueRange: { min: number; max: number };
  /** A regression's smallest and largest target over the training split. */
  targetRange?: { min: number; max: number };
}

/** The checks that need no training: `loss-mismatch` and `unnormalized-input`. */
export function staticChecks(spec: Spec, data: StaticData, thresholds: Partial<Thresholds> = {}): Finding[] {
  const t = resolveThresholds(thresholds);
  const findings: Finding[] = [];
  const mismatch = lossMismatch(spec, data);
  if (mismatch) findings.push(mismatch);
  const input = unnormalizedInput(spec, data.valueRange, t);
  if (input) findings.push(input);
  return findings;
}

/** A fixed-size window of the most recent items. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }
  get length(): number {
    return this.items.length;
  }
  /** The last `n` items (or all there are), oldest first. */
  last(n: number): T[] {
    const count = Math.min(n, this.items.length);
    const out: T[] = new Array<T>(count);
    const full = this.items.length === this.capacity;
    for (let k = 0; k < count; k++) out[k] = this.items[full ? (this.next - count + k + this.capacity) % this.capacity : this.items.length - count + k]!;
    return out;
  }
  /** Oldest first. */
  toArray(): T[] {
    return this.items.length < this.capacity ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

const SEVERITY_RANK = { info: 0, warning: 1, error: 2 } as const;

/** Epoch summaries kept besides the one with the lowest validation loss. */
const RECENT_EPOCHS = 64;

interface UnitState {
  dead?: UnitStreaks;
  linear?: UnitStreaks;
  saturated?: UnitStreaks;
}

interface OpenBlock {
  start: number;
  epoch: number;
  end: number;
  endEpoch: number;
  steps: number;
  lossSum: number;
  lossCount: number;
  accuracySum: number;
  accuracyCount: number;
}

export class Diagnosis {
  private readonly t: Thresholds;
  private readonly ctx: DetectorContext;
  private readonly listeners = new Set<FindingListener>();
  private readonly current = new Map<string, Finding>();
  private readonly byIndex = new Map<number, LayerRef>();
  private readonly byName = new Map<string, LayerRef>();

  private readonly steps: Ring<StepPoint>;
  private readonly earlyPoints: StepPoint[] = [];
  private early: EarlyBaseline | null = null;
  private firstLoss: number | null = null;
  private lastStep: StepPoint | null = null;
  private firstNullLoss: StepPoint | null = null;

  private readonly blockSize: number;
  /** Loss blocks in a row a series finding's evidence must fail on before it counts as resolved. */
  private readonly resolveBlocks: number;
  private open: OpenBlock | null = null;
  /** The most recent loss blocks (diverging-loss reads them); the plateau tracker sees every one. */
  private readonly blocks: Ring<LossBlock>;
  private readonly plateaus: PlateauTracker;
  private lowest: { loss: number; end: number } | null = null;

  private bestEpoch: EpochSummary | null = null;
  private readonly recentEpochs: EpochSummary[] = [];

  private readonly units = new Map<string, UnitState>();
  private readonly deadNow = new Map<string, Set<number>>();
  private readonly pairs = new Map<string, Map<string, PairStreak>>();
  private readonly weightsSeenAt = new Map<string, number>();
  private lastProbe: ProbeResult | null = null;

  /** Per active finding (by key): since when, and on how many evaluations in a row, its evidence has not held. */
  private readonly calm = new Map<string, { step: number; count: number }>();
  /** Where the run has got to: resolutions are dated by it. */
  private nowStep = 0;

  private finished = false;
  private finishing = false;
  /** Time spent in the diagnosis itself, to check that it stays a small share of training. */
  readonly cost = { calls: 0, ms: 0 };
  /** Steps between probes: how late a probed finding can be seen after it began. */
  private readonly probeEvery: number;

  /**
   * `statics` are the static checks' findings already raised for this run: they are kept (not
   * sent again) so that what follows from them can name them as its cause.
   */
  constructor(spec: Spec, job: JobInfo, thresholds: Partial<Thresholds> = {}, statics: readonly Finding[] = []) {
    for (const finding of statics) this.current.set(findingKey(finding), { ...finding, state: finding.state ?? 'active' });
    this.t = resolveThresholds(thresholds);
    this.probeEvery = spec.monitor.probeEvery;
    this.ctx = makeContext(spec, job);
    // Regression targets the output cannot reach (static loss-mismatch): the output's saturation is then a symptom, not confidence.
    const targets = statics.find((f) => f.code === 'loss-mismatch' && Array.isArray(f.evidence['targetRange']))?.evidence['targetRange'] as [number, number] | undefined;
    if (targets) this.ctx.unreachableTargets = { min: targets[0], max: targets[1] };
    for (const layer of this.ctx.layers) {
      this.byIndex.set(layer.index, layer);
      this.byName.set(layer.name, layer);
    }
    const t = this.t;
    this.steps = new Ring(Math.max(2 * t.vanishingWindow, 2 * t.unchangedWindow, t.oscillationWindow, t.explodingWindow, 2));
    this.blockSize = Math.max(1, Math.round(t.plateauBlockSteps));
    this.resolveBlocks = Math.max(1, Math.ceil(t.resolveSteps / this.blockSize));
    this.blocks = new Ring(Math.max(6, t.divergingBlocks, 3));
    this.plateaus = new PlateauTracker(t);
  }

  /** Registers a listener; dispose() removes it. */
  subscribe(listener: FindingListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** The findings so far, each in its latest form, in the order they were first raised. */
  findings(): Finding[] {
    return [...this.current.values()];
  }

  /** Every training step, in order. */
  onStep(point: StepPoint): void {
    if (this.finished) return;
    this.timed(() => {
      const t = this.t;
      this.lastStep = point;
      this.nowStep = point.step;
      this.steps.push(point);
      if (point.accuracy !== null && this.ctx.classes === null) this.ctx.classes = Math.max(2, this.ctx.outputs);
      if (point.loss === null) this.firstNullLoss ??= point;
      else this.firstLoss ??= point.loss;
      if (this.early === null && point.loss !== null && point.gradNorm !== null) {
        this.earlyPoints.push(point);
        if (this.earlyPoints.length >= Math.max(3, t.explodingEarlySteps)) this.early = earlyBaseline(this.earlyPoints, t);
      }
      // The full test runs once per loss block; between blocks only when the norm is already far up.
      const early = this.early ?? (this.earlyPoints.length >= 3 ? earlyBaseline(this.earlyPoints, t) : null);
      if (!this.holds('exploding-gradient|') && point.gradNorm !== null && early !== null && point.gradNorm > t.explodingFactor * early.gradNorm) {
        this.emit(explodingGradient(this.steps.last(Math.max(2, t.explodingWindow)), early, this.ctx, t));
      }
      if (this.addToBlock(point)) this.onBlock(false);
    });
  }

  /** Every epoch's summary, in order. */
  onEpoch(summary: EpochSummary): void {
    if (this.finished) return;
    this.timed(() => {
      if (summary.valLoss !== null && (this.bestEpoch === null || summary.valLoss < this.bestEpoch.valLoss!)) this.bestEpoch = summary;
      this.recentEpochs.push(summary);
      if (this.recentEpochs.length > RECENT_EPOCHS) this.recentEpochs.shift();
      const epochs = this.bestEpoch && !this.recentEpochs.includes(this.bestEpoch) ? [this.bestEpoch, ...this.recentEpochs] : this.recentEpochs;
      const found = overfitting(epochs, this.ctx, this.t);
      if (found) this.emit(found);
      else {
        // Resolved once validation loss is back at (or below) the best it had when the finding was raised.
        const previous = this.current.get('overfitting|');
        const best = previous?.evidence['bestValLoss'];
        if (previous && isActive(previous) && summary.valLoss !== null && typeof best === 'number' && summary.valLoss <= best) {
          this.resolve('overfitting|', summary.step, `validation loss was back to ${fmtShort(summary.valLoss)} at epoch ${summary.epoch + 1}, at or below its earlier best (${fmtShort(best)})`);
        }
      }
    });
  }

  /** Every probe: per-unit statistics of every layer on the fixed probe batch. */
  onProbe(probe: ProbeResult): void {
    if (this.finished) return;
    this.timed(() => {
      this.lastProbe = probe;
      this.observeUnits(probe, this.t);
      const surface = probe.surface;
      const layer = surface?.unitsLayer ? this.byName.get(surface.unitsLayer) : undefined;
      if (surface && layer && surface.units > 0 && surface.kernel.length === 2 * surface.units) {
        this.observeWeights(layer, surface.kernel, [2, surface.units], surface.bias.length === surface.units ? surface.bias : null, probe.step, probe.epoch);
      }
    });
  }

  /** Every snapshot: the weights, for duplicate units. */
  onSnapshot(snapshot: Snapshot): void {
    if (this.finished) return;
    this.timed(() => {
      const weights = new Map<string, { kernel?: Snapshot['tensors'][number]; bias?: Snapshot['tensors'][number] }>();
      for (const tensor of snapshot.tensors) {
        if (tensor.role !== 'kernel' && tensor.role !== 'bias') continue;
        const entry = weights.get(tensor.layer) ?? {};
        entry[tensor.role] = tensor;
        weights.set(tensor.layer, entry);
      }
      for (const [name, { kernel, bias }] of weights) {
        const layer = this.byName.get(name);
        if (!layer || !kernel) continue;
        this.observeWeights(layer, kernel.data, kernel.shape, bias ? bias.data : null, snapshot.step, snapshot.epoch);
      }
    });
  }

  /** The trainer's report of the first non-finite value. */
  onNonFinite(report: NonFiniteReport): void {
    if (this.finished) return;
    this.timed(() => this.emit(nonFinite(report, this.ctx)));
  }

  /**
   * The run has ended: evaluates what only the end can tell (a plateau that lasted to the
   * end, how far the loss fell after one, units found on the final probe alone), then ignores
   * anything more.
   */
  finish(final: RunFinal): void {
    if (this.finished) return;
    this.timed(() => {
      this.finishing = true;
      if (this.open && this.open.lossCount > 0) this.closeBlock();
      this.onBlock(true);
      // What the final probe and weights show counts on its own: the end state is what the run leaves.
      const relaxed: Thresholds = { ...this.t, deadMinProbes: 1, linearMinProbes: 1, saturatedMinProbes: 1, duplicateMinObservations: 1 };
      const finalUnits: Finding[] = this.lastProbe ? this.judgeUnits(this.lastProbe, relaxed) : [];
      for (const [name, streaks] of this.pairs) {
        const layer = this.byName.get(name);
        const f = layer ? duplicateUnits({ layer, step: final.steps, epoch: Math.max(0, final.epochs - 1), units: this.unitCount(layer), pairs: streaks.values() }, this.ctx, relaxed) : null;
        if (f) finalUnits.push(f);
      }
      for (const f of finalUnits) this.emit(f);
      this.reconcileUnits(finalUnits, this.lastStep ? this.lastStep.step + 1 : final.steps);
      if (this.firstNullLoss && ![...this.current.values()].some((f) => f.code === 'non-finite')) {
        const p = this.firstNullLoss;
        this.emit(
          nonFinite(
            { jobId: 'run', step: p.step, epoch: p.epoch, layer: null, tensor: 'loss', kind: 'NaN/Inf', gradNormHistory: [], lossHistory: [] },
            this.ctx,
          ),
        );
      }
      this.linkCauses();
      this.finished = true;
    });
  }

  /** Names the cause of findings raised before it was (a plateau seen before the vanishing gradient behind it). */
  private linkCauses(): void {
    for (const f of [...this.current.values()]) {
      if (f.causedBy !== undefined) continue;
      const cause = causeOf(f, this.current, this.probeEvery);
      if (cause !== undefined) this.replace({ ...f, causedBy: cause });
    }
  }

  // -----------------------------------------------------------------------------------------

  private timed(body: () => void): void {
    const started = performance.now();
    try {
      body();
    } finally {
      this.cost.calls++;
      this.cost.ms += performance.now() - started;
    }
  }

  private emit(raised: Finding | null): void {
    if (!raised) return;
    const key = findingKey(raised);
    this.calm.delete(key);
    const previous = this.current.get(key);
    const finding = this.withLifecycle(raised, previous);
    let change: 'new' | 'update' = 'new';
    if (previous) {
      // A resolved finding whose evidence holds again is active again; otherwise only growth is news.
      const reopened = !isActive(previous) && isActive(finding);
      if (!reopened && !this.grew(previous, finding)) return;
      change = 'update';
    }
    this.current.set(key, finding);
    for (const listener of this.listeners) listener(finding, change);
  }

  /** The finding with its state (a plateau learning left is resolved where it ended) and its cause. */
  private withLifecycle(raised: Finding, previous: Finding | undefined): Finding {
    const finding: Finding = { ...raised, state: raised.state ?? 'active' };
    if (finding.code === 'plateau' && typeof finding.evidence['end'] === 'number') {
      finding.state = 'resolved';
      finding.resolvedStep = finding.evidence['end'];
      finding.resolution = `learning resumed after step ${finding.evidence['end']}`;
    }
    if (finding.state === 'active') {
      delete finding.resolvedStep;
      delete finding.resolution;
    }
    const cause = finding.causedBy ?? previous?.causedBy ?? causeOf(finding, this.current, this.probeEvery);
    if (cause !== undefined) finding.causedBy = cause;
    return finding;
  }

  /** Whether a finding of this key is raised and still active. */
  private holds(key: string): boolean {
    const f = this.current.get(key);
    return f !== undefined && isActive(f);
  }

  /** Marks an active finding resolved from `step` on, in `words`, and tells the listeners. */
  private resolve(key: string, step: number, words: string): void {
    const previous = this.current.get(key);
    if (!previous || !isActive(previous)) return;
    this.calm.delete(key);
    this.replace({ ...previous, state: 'resolved', resolvedStep: Math.max(previous.step, step), resolution: words });
  }

  /**
   * The series findings of one code after an evaluation: those in `found` hold (raised, or
   * kept active); an active one not among them is resolved once its evidence has failed on
   * `resolveBlocks` evaluations in a row, dated from the first of them.
   */
  private settle(code: FindingCode, found: readonly Finding[]): void {
    const holding = new Set(found.map((f) => findingKey(f)));
    for (const f of found) this.emit(f);
    for (const [key, f] of [...this.current]) {
      if (f.code !== code || !isActive(f) || holding.has(key)) continue;
      const calm = this.calm.get(key) ?? { step: this.nowStep, count: 0 };
      calm.count++;
      this.calm.set(key, calm);
      if (calm.count >= this.resolveBlocks) this.resolve(key, calm.step, resolutionWords(f, calm.step));
    }
  }

  /**
   * Whether a finding already raised has grown enough to be sent again: a higher severity, a
   * quarter more units (at least one) than last sent, or a plateau that ended (and, at the end
   * of the run, how far the loss fell after it). Units that flicker on the probe batch do not
   * make a new message each probe.
   */
  private grew(previous: Finding, next: Finding): boolean {
    if (SEVERITY_RANK[next.severity] > SEVERITY_RANK[previous.severity]) return true;
    if (next.units) {
      const before = new Set(previous.units ?? []);
      const added = next.units.filter((u) => !before.has(u)).length;
      if (added >= Math.max(1, Math.ceil(0.25 * before.size))) return true;
    }
    if (next.code === 'plateau') {
      return previous.evidence['start'] !== next.evidence['start'] || previous.evidence['end'] !== next.evidence['end'] || (this.finishing && previous.message !== next.message);
    }
    return false;
  }

  /** Adds a step to the open loss block; true when that closed it. */
  private addToBlock(point: StepPoint): boolean {
    const open = (this.open ??= { start: point.step, epoch: point.epoch, end: point.step, endEpoch: point.epoch, steps: 0, lossSum: 0, lossCount: 0, accuracySum: 0, accuracyCount: 0 });
    open.end = point.step;
    open.endEpoch = point.epoch;
    open.steps++;
    if (point.loss !== null) {
      open.lossSum += point.loss;
      open.lossCount++;
      if (point.accuracy !== null) {
        open.accuracySum += point.accuracy;
        open.accuracyCount++;
      }
    }
    if (open.steps < this.blockSize) return false;
    if (open.lossCount === 0) {
      this.open = null;
      return false;
    }
    this.closeBlock();
    return true;
  }

  private closeBlock(): void {
    const open = this.open!;
    this.open = null;
    const block: LossBlock = {
      start: open.start,
      end: open.end,
      epoch: open.epoch,
      endEpoch: open.endEpoch,
      loss: open.lossSum / open.lossCount,
      accuracy: open.accuracyCount === open.lossCount ? open.accuracySum / open.accuracyCount : null,
      steps: open.lossCount,
    };
    this.blocks.push(block);
    this.plateaus.add(block);
    if (this.blocks.length >= 3) {
      const last3 = this.blocks.last(3);
      const loss = smoothedLoss(last3);
      if (this.lowest === null || loss < this.lowest.loss) this.lowest = { loss, end: last3[2]!.end };
    }
  }

  /** The series detectors, once per loss block (and once more at the end). */
  private onBlock(final: boolean): void {
    const t = this.t;
    const ctx = this.ctx;
    this.emit(plateau(this.plateaus, { firstLoss: this.firstLoss, final, lastStep: this.lastStep?.step ?? 0 }, ctx, t));
    const points = this.steps.toArray();
    const early = this.early ?? earlyBaseline(this.earlyPoints, t);
    const one = (f: Finding | null): Finding[] => (f ? [f] : []);
    this.settle('diverging-loss', one(divergingLoss(this.blocks.toArray(), this.lowest, ctx, t)));
    this.settle('exploding-gradient', one(explodingGradient(this.steps.last(Math.max(2, t.explodingWindow)), early, ctx, t)));
    this.settle('vanishing-gradient', vanishingGradient(points, ctx, t, early));
    const unchanged = unchangedWeights(points, ctx, t, early);
    this.settle('unchanged-weights', unchanged);
    // Nothing moves: the loss's ups and downs are the batches', not a learning rate's.
    const frozen = unchanged.length > 0 && unchanged.length === ctx.parameterLayers.length;
    this.settle('oscillating-loss', frozen ? [] : one(oscillatingLoss(points, this.early?.loss ?? this.firstLoss, ctx, t)));
  }

  /** Advances the per-unit streaks with a probe, then judges them. */
  private observeUnits(probe: ProbeResult, t: Thresholds): void {
    for (const stats of probe.layers) {
      const layer = this.byIndex.get(stats.index);
      if (!layer || stats.nonFinite > 0 || stats.units === 0) continue;
      const state = this.units.get(layer.name) ?? {};
      if (watchesDead(layer.activation)) {
        state.dead = advanceStreaks(state.dead ?? null, stats.units, (u) => isDead(stats.active[u]!, t), probe.step, probe.epoch);
        const dead = new Set<number>();
        for (let u = 0; u < stats.units; u++) if (state.dead.count[u]! > 0) dead.add(u);
        this.deadNow.set(layer.name, dead);
      }
      if (watchesLinear(layer.activation, layer.isOutput)) state.linear = advanceStreaks(state.linear ?? null, stats.units, (u) => isLinear(stats.active[u]!, t), probe.step, probe.epoch);
      if (watchesSaturated(layer.activation, layer.isOutput, this.ctx)) state.saturated = advanceStreaks(state.saturated ?? null, stats.units, (u) => isSaturated(stats.saturated[u]!, t), probe.step, probe.epoch);
      this.units.set(layer.name, state);
      this.settleUnits(layer, 'dead-units', state.dead, t.deadMinProbes, probe.step);
      this.settleUnits(layer, 'linear-units', state.linear, t.linearMinProbes, probe.step);
      this.settleUnits(layer, 'saturated-units', state.saturated, t.saturatedMinProbes, probe.step);
    }
    for (const finding of this.judgeUnits(probe, t)) this.emit(finding);
  }

  /**
   * Resolves a layer's active unit finding once none of its units has met the condition on
   * `probes` probes in a row (units revived, bending again, out of saturation).
   */
  private settleUnits(layer: LayerRef, code: 'dead-units' | 'linear-units' | 'saturated-units', streaks: UnitStreaks | undefined, probes: number, step: number): void {
    const key = findingKey({ code, layer: layer.name });
    const finding = this.current.get(key);
    if (!finding || !isActive(finding) || !streaks) return;
    const still = (finding.units ?? []).some((u) => (streaks.count[u] ?? 0) > 0);
    if (still) {
      this.calm.delete(key);
      return;
    }
    const calm = this.calm.get(key) ?? { step, count: 0 };
    calm.count++;
    this.calm.set(key, calm);
    if (calm.count >= Math.max(1, probes)) this.resolve(key, calm.step, resolutionWords(finding, calm.step));
  }

  /** The first finding that disturbed training (an exploding gradient, a diverging loss, a NaN), if any. */
  private disturbance(): Finding | null {
    let first: Finding | null = null;
    for (const f of this.current.values()) {
      if ((f.code === 'exploding-gradient' || f.code === 'diverging-loss' || f.code === 'non-finite') && (first === null || f.step < first.step)) first = f;
    }
    return first;
  }

  /** The unit findings the streaks support at a probe (null entries left out). */
  private judgeUnits(probe: ProbeResult, t: Thresholds): Finding[] {
    const findings: (Finding | null)[] = [];
    for (const stats of probe.layers) {
      const layer = this.byIndex.get(stats.index);
      const state = layer ? this.units.get(layer.name) : undefined;
      if (!layer || !state || stats.nonFinite > 0) continue;
      const at = { layer, step: probe.step, epoch: probe.epoch };
      if (state.dead) findings.push(deadUnits({ ...at, fraction: stats.active, streaks: state.dead }, this.ctx, t, this.disturbance()));
      if (state.linear) findings.push(linearUnits({ ...at, fraction: stats.active, streaks: state.linear, dead: this.deadNow.get(layer.name) }, this.ctx, t));
      if (state.saturated) findings.push(saturatedUnits({ ...at, fraction: stats.saturated, streaks: state.saturated }, this.ctx, t));
    }
    return findings.filter((f): f is Finding => f !== null);
  }

  /**
   * At the end, brings each unit finding to the final state, so that what is kept says how the
   * run ended: the units named now (when its words changed), or that they all recovered (the
   * deep CNN's units, stuck while its signal was too small, come back when it learns).
   */
  private reconcileUnits(finalFindings: readonly Finding[], lastStep: number): void {
    const now = new Map(finalFindings.map((f) => [findingKey(f), f]));
    const words: Partial<Record<Finding['code'], string>> = { 'dead-units': 'dead', 'linear-units': 'always on', 'saturated-units': 'saturated', 'duplicate-units': 'a duplicate' };
    for (const [key, previous] of [...this.current]) {
      const what = words[previous.code];
      if (!what || !previous.units) continue;
      // Only where the end was seen: a final probe for unit statistics, final weights for duplicates.
      if (previous.code === 'duplicate-units' ? !this.pairs.has(previous.layer ?? '') : !this.lastProbe) continue;
      const next = now.get(key);
      if (next) {
        // Still holding at the end: active, from the same cause.
        if (next.message !== previous.message || next.severity !== previous.severity) this.replace({ ...next, state: 'active', ...(previous.causedBy ? { causedBy: previous.causedBy } : {}) });
        continue;
      }
      if (previous.evidence['recoveredBy'] !== undefined) continue;
      const stillOn = previous.code === 'linear-units' ? this.stillLinear(previous) : [];
      const layer = this.byName.get(previous.layer ?? '');
      const end = previous.code === 'linear-units' ? linearSettledWords(stillOn, layer ? unitNoun(layer) : 'unit', lastStep) : `By the end of training (step ${lastStep}) none of them was ${what} any more.`;
      this.replace({
        ...previous,
        severity: 'info',
        evidence: { ...previous.evidence, recoveredBy: lastStep },
        message: `${previous.message} ${end}`,
        ...(isActive(previous) && (previous.code !== 'linear-units' || stillOn.length === 0)
          ? { state: 'resolved' as const, resolvedStep: lastStep, resolution: resolutionWords(previous, lastStep) }
          : {}),
      });
    }
  }

  /** The units of a linear-units finding that the last probe still sees always on. */
  private stillLinear(previous: Finding): number[] {
    const stats = this.lastProbe?.layers.find((l) => l.name === previous.layer);
    return stats ? (previous.units ?? []).filter((u) => isLinear(stats.active[u] ?? 0, this.t)) : [];
  }

  /** Sends a finding as the new state of its code and layer, grown or not. */
  private replace(raised: Finding): void {
    const finding: Finding = { ...raised, state: raised.state ?? 'active' };
    const change = this.current.has(findingKey(finding)) ? 'update' : 'new';
    this.current.set(findingKey(finding), finding);
    for (const listener of this.listeners) listener(finding, change);
  }

  /** One look at a layer's weights (a snapshot, or the probe's 2-D surface): duplicate units. */
  private observeWeights(layer: LayerRef, kernel: ArrayLike<number>, shape: readonly number[], bias: ArrayLike<number> | null, step: number, epoch: number): void {
    if (!watchesDuplicates(layer) || this.weightsSeenAt.get(layer.name) === step) return;
    this.weightsSeenAt.set(layer.name, step);
    const found = duplicatePairs(kernel, shape, bias, this.t, this.deadNow.get(layer.name));
    if (found === null) return;
    const streaks = advancePairs(this.pairs.get(layer.name) ?? null, found, step, epoch);
    this.pairs.set(layer.name, streaks);
    this.emit(duplicateUnits({ layer, step, epoch, units: shape[shape.length - 1] ?? 0, pairs: streaks.values() }, this.ctx, this.t));
  }

  private unitCount(layer: LayerRef): number {
    return layer.outputShape[layer.outputShape.length - 1] ?? 0;
  }
}
