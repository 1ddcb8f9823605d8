/**
 * vanishing-gradient: a layer whose gradient stays far below the largest layer's (or below an
 * absolute floor) for a sustained window. Its weights then hardly move while the layers after
 * it learn: too many layers of small weights or saturating activations between it and the loss.
 */
import type { StepPoint } from '@contract';
import type { Finding, Suggestion } from '@contract/findings';
import type { Thresholds } from '../thresholds';
import { atCriticalPoint, batchNormSuggestion, fmt, initSuggestion, isSaturating, median, percent, type DetectorContext, type EarlyBaseline } from '../common';

/**
 * Whether layer `l`'s gradient counts as vanished at one step (false when anything is
 * non-finite). The absolute floor does not count at a near-perfect fit, nor at a critical
 * point (every gradient collapsed against the early ones): there small gradients are right.
 */
export function gradientVanished(point: StepPoint, l: number, t: Thresholds, early?: EarlyBaseline | null): { vanished: boolean; ratio: number | null } {
  const g = point.layerGradNorms[l];
  if (g === null || g === undefined) return { vanished: false, ratio: null };
  let largest = 0;
  for (const v of point.layerGradNorms) {
    if (v === null) return { vanished: false, ratio: null };
    if (v > largest) largest = v;
  }
  const ratio = largest > 0 ? g / largest : 1;
  const absolute = g < t.vanishingAbsolute && (point.loss === null || point.loss >= t.vanishingMinLoss) && !atCriticalPoint(point.gradNorm, early, t);
  return { vanished: ratio < t.vanishingRatio || absolute, ratio };
}

/**
 * One finding per parameter layer whose gradient has vanished on at least `vanishingShare`
 * of the last `vanishingWindow` steps of `points` (consecutive steps, oldest first), with the
 * window's median ratio (or median norm, for the absolute floor) past the threshold too:
 * noise that crosses the line now and then does not break it. `since` is the first vanished
 * step of the longest stretch ending now that keeps that share, as far back as `points`
 * reaches. `early` is the run's early baseline.
 */
export function vanishingGradient(points: readonly StepPoint[], ctx: DetectorContext, t: Thresholds, early?: EarlyBaseline | null): Finding[] {
  const findings: Finding[] = [];
  const window = Math.max(1, t.vanishingWindow);
  if (points.length < window) return findings;
  ctx.parameterLayers.forEach((layer, l) => {
    const ratios: number[] = [];
    const grads: number[] = [];
    let vanishedCount = 0;
    let first = points.length;
    let windowCount = 0;
    for (let i = points.length - 1; i >= 0; i--) {
      const p = points[i]!;
      const { vanished, ratio } = gradientVanished(p, l, t, early);
      const seen = points.length - i;
      if (vanished) {
        vanishedCount++;
        if (ratio !== null) ratios.push(ratio);
        const g = p.layerGradNorms[l];
        if (g !== null && g !== undefined) grads.push(g);
      }
      if (seen === window) windowCount = vanishedCount;
      if (seen >= window && vanishedCount < t.vanishingShare * seen) break;
      if (vanished) first = i;
    }
    if (windowCount < t.vanishingShare * window || first >= points.length) return;
    const steps = points.length - first;
    const start = points[first]!;
    const last = points[points.length - 1]!;
    let largest = 0;
    last.layerGradNorms.forEach((g, i) => {
      if (g !== null && g > (last.layerGradNorms[largest] ?? 0)) largest = i;
    });
    const largestName = ctx.parameterLayers[largest]?.name ?? '?';
    const ratio = median(ratios) ?? 1;
    const grad = median(grads) ?? 0;
    const relative = ratio < t.vanishingRatio;
    if (!relative && !(grad < t.vanishingAbsolute)) return;
    const how = relative
      ? `has stayed below ${fmt(t.vanishingRatio)} of the largest layer's (${largestName}) on ${percent(windowCount / window)} of the last ${window} steps, since step ${start.step} (${ratio === 0 ? 'it is exactly 0' : `typically ${fmt(ratio)} of it`})`
      : `has stayed below ${fmt(t.vanishingAbsolute)} on ${percent(windowCount / window)} of the last ${window} steps, since step ${start.step}, while the loss is still ${fmt(last.loss)}`;
    const saturating = ctx.layers.some((x) => !x.isOutput && isSaturating(x.activation));
    const cause = saturating
      ? 'Saturating activations (sigmoid, tanh) between it and the loss, or initial weights too small for the depth, shrink the gradient layer by layer.'
      : 'Initial weights too small for the depth shrink the gradient layer by layer; units that are dead or all-off pass none.';
    const message = `The gradient of ${layer.name} ${how}: its weights hardly change, so this layer learns almost nothing. ${cause}`;

    const suggestions: Suggestion[] = [];
    const init = initSuggestion(ctx.spec);
    if (init) suggestions.push(init);
    const bn = batchNormSuggestion(ctx.spec);
    if (bn) suggestions.push(bn);
    if (saturating) {
      const set: Record<string, unknown> = {};
      for (const x of ctx.layers) {
        if (x.isOutput || !isSaturating(x.activation) || !x.spec) continue;
        set[`model.layers.${x.index}.activation`] = 'relu';
        if (x.spec.type === 'dense' || x.spec.type === 'conv2d') set[`model.layers.${x.index}.kernelInitializer`] = 'heNormal';
      }
      suggestions.push({ label: 'Use relu in the hidden layers (He initialisation)', set });
    }

    findings.push({
      code: 'vanishing-gradient',
      severity: 'warning',
      step: start.step,
      epoch: start.epoch,
      layer: layer.name,
      evidence: {
        since: start.step,
        steps,
        share: windowCount / window,
        gradNorm: grad,
        ratioToLargest: ratio,
        largestLayer: largestName,
        relative,
        loss: last.loss,
      },
      message,
      suggestions,
    });
  });
  return findings;
}
