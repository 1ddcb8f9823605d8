/**
 * The findings' lifecycle and cause graph: which raised finding another one follows from
 * (`causedBy`), and the words for one whose evidence no longer holds. Pure functions over
 * findings; the Diagnosis decides when.
 *
 * The graph is DESIGN's chains: unnormalised input or a loss mismatch → exploding gradient →
 * non-finite → dead units; saturated or dead units (or weights drawn too small, which the
 * vanishing finding names) → vanishing gradient → plateau; dead units or a vanished gradient
 * → unchanged weights. A cause must have begun no later than its consequence.
 */
import { findingKey, type Finding, type FindingCode } from '@contract/findings';

/** A cause to look for: a code, and whether it must concern the same layer. */
interface CauseRule {
  code: FindingCode;
  sameLayer?: boolean;
  /** Only when the cause's evidence says so (all units of the layer dead, say). */
  when?: (cause: Finding) => boolean;
}

const wholeLayerDead = (f: Finding): boolean => f.evidence['deadFraction'] === 1;
/** A loss-mismatch about regression targets the output cannot reach: the output saturates because of it. */
const unreachableTargets = (f: Finding): boolean => Array.isArray(f.evidence['targetRange']);

/** Per code, the causes looked for, most direct first. */
const CAUSES: Partial<Record<FindingCode, readonly CauseRule[]>> = {
  'exploding-gradient': [{ code: 'unnormalized-input' }, { code: 'loss-mismatch' }],
  'non-finite': [{ code: 'exploding-gradient' }, { code: 'diverging-loss' }, { code: 'unnormalized-input' }, { code: 'loss-mismatch' }],
  'diverging-loss': [{ code: 'exploding-gradient' }, { code: 'unnormalized-input' }],
  'dead-units': [{ code: 'non-finite' }, { code: 'exploding-gradient' }, { code: 'diverging-loss' }],
  'saturated-units': [{ code: 'loss-mismatch', when: unreachableTargets }, { code: 'exploding-gradient' }, { code: 'unnormalized-input' }],
  'vanishing-gradient': [{ code: 'saturated-units' }, { code: 'dead-units', when: wholeLayerDead }],
  plateau: [{ code: 'vanishing-gradient' }, { code: 'saturated-units' }, { code: 'dead-units', when: wholeLayerDead }, { code: 'loss-mismatch' }],
  'unchanged-weights': [
    { code: 'dead-units', sameLayer: true, when: wholeLayerDead },
    { code: 'vanishing-gradient', sameLayer: true },
    { code: 'dead-units', when: wholeLayerDead },
  ],
};

/** Findings seen by the probe: their step is the first probe that saw them, not when they began. */
const PROBED: ReadonlySet<FindingCode> = new Set(['dead-units', 'saturated-units', 'linear-units']);

/**
 * The key of the raised finding `finding` follows from, or undefined. `raised` are the run's
 * findings so far (active or resolved), by key. A probed cause (dead units, say) began somewhere
 * in the `probeEvery` steps before the probe that saw it, so it may carry a step up to that much
 * later than its consequence: relu-abs seed 21's ReLUs were all dead at the probe of step 25,
 * and the gradient that dead layer could not pass was 0 from step 9.
 */
export function causeOf(finding: Finding, raised: ReadonlyMap<string, Finding>, probeEvery = 0): string | undefined {
  const rules = CAUSES[finding.code];
  if (!rules) return undefined;
  const own = findingKey(finding);
  for (const rule of rules) {
    let best: Finding | null = null;
    for (const [key, candidate] of raised) {
      if (key === own || candidate.code !== rule.code) continue;
      if (rule.sameLayer && candidate.layer !== finding.layer) continue;
      if (rule.when && !rule.when(candidate)) continue;
      if (candidate.step - (PROBED.has(candidate.code) ? probeEvery : 0) > finding.step) continue;
      if (best === null || candidate.step < best.step) best = candidate;
    }
    if (best) return findingKey(best);
  }
  return undefined;
}

/** What a step or a stretch of steps is called in resolutions. */
const fromStep = (step: number): string => `from step ${step} on`;

/** Plain words for a series finding whose evidence stopped holding at `step`. */
export function resolutionWords(finding: Finding, step: number): string {
  switch (finding.code) {
    case 'oscillating-loss':
      return `the loss calmed down ${fromStep(step)}`;
    case 'diverging-loss':
      return `the loss stopped rising ${fromStep(step)}`;
    case 'exploding-gradient':
      return `the gradient norm was back near its early level ${fromStep(step)}`;
    case 'vanishing-gradient':
      return `the gradient of ${finding.layer ?? 'the layer'} was no longer vanishing ${fromStep(step)}`;
    case 'unchanged-weights':
      return `the weights of ${finding.layer ?? 'the layer'} moved again ${fromStep(step)}`;
    case 'dead-units':
      return `the units were active again ${fromStep(step)}`;
    case 'linear-units':
      return `the units bent again ${fromStep(step)}`;
    case 'saturated-units':
      return `the units left saturation ${fromStep(step)}`;
    default:
      return `its evidence no longer held ${fromStep(step)}`;
  }
}
