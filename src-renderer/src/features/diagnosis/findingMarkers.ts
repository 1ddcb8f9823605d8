/**
 * Findings as markers on the loss curve: one per finding, at the step it concerns (where the
 * problem began), coloured by severity, labelled with what it says.
 */
import { findingKey, type Finding } from '@contract';
import type { ChartMarker } from '../../components/chartMarkers';

export const SEVERITY_COLOURS: Record<Finding['severity'], string> = { error: '#f87171', warning: '#d69a2d', info: '#9aa3b2' };

/** `xScale` turns steps into the chart's x unit (1 for steps, 1 / stepsPerEpoch for epochs). */
export function findingMarkers(findings: readonly Finding[], xScale: number): ChartMarker[] {
  return findings.map((f) => ({
    id: findingKey(f),
    x: f.step * xScale,
    colour: SEVERITY_COLOURS[f.severity],
    label: `${f.code}${f.layer ? ` in ${f.layer}` : ''} at step ${f.step}: ${f.message}`,
  }));
}
