/**
 * `gradient-check-failed` from a gradient check's per-layer numbers: one finding per layer
 * whose backprop and central-difference gradients disagree beyond the tolerance. Pure.
 */
import type { Finding } from '@contract/findings';
import type { GradcheckLayer, GradcheckReport } from '@contract/gradcheck';

const fmt = (v: number): string => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(2));

/** One finding per failing layer, in forward order. */
export function gradcheckFindings(report: Omit<GradcheckReport, 'findings' | 'passed' | 'seconds'>): Finding[] {
  return report.layers.filter((l): l is GradcheckLayer & { worst: NonNullable<GradcheckLayer['worst']> } => l.passed === false && l.worst !== null).map((layer) => {
    const worst = layer.worst;
    const failing = report.layers.filter((l) => l.passed === false).length;
    return {
      code: 'gradient-check-failed',
      severity: 'error',
      step: 0,
      epoch: 0,
      layer: layer.name,
      evidence: {
        maxRelError: layer.maxRelError,
        medianRelError: layer.medianRelError,
        tolerance: report.tolerance,
        checked: layer.checked,
        skippedAtKinks: layer.skipped,
        h: report.h,
        samples: report.samples,
        dtype: report.dtype,
        backend: report.backend,
        worstParameter: `${layer.name}/${worst.role}[${worst.index}]`,
        worstAnalytic: worst.analytic,
        worstNumeric: worst.numeric,
        failingLayers: failing,
      },
      message:
        `Backprop and central-difference gradients disagree in ${layer.name}: relative error up to ${fmt(worst.relError)} ` +
        `(median ${fmt(layer.medianRelError ?? worst.relError)}) over ${layer.checked} parameters, tolerance ${fmt(report.tolerance)}; ` +
        `at ${worst.role}[${worst.index}] backprop gives ${fmt(worst.analytic)}, the loss's slope is ${fmt(worst.numeric)}. ` +
        `Training follows the backprop gradient, so it steps in a wrong direction here: an op or kernel ` +
        `of the ${report.backend} backend (or a custom layer) computes a wrong gradient. Try another backend (--backend) to confirm.`,
      suggestions: [],
    };
  });
}
