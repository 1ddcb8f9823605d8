/**
 * A saved run's network, rebuilt from its spec and loaded with a snapshot's weights. The
 * network is built once per run; moving to another snapshot assigns its tensors in place.
 */
import * as tf from '@tensorflow/tfjs';
import { ContractError, inferShapes, type ShapeReport } from '@contract';
import { Network } from '../training/network';
import type { TrainingData } from '../training/trainingData';
import type { RunFolder } from './runFolder';

export class SnapshotNetwork {
  private step: number | null = null;

  private constructor(
    readonly network: Network,
    readonly report: ShapeReport,
  ) {}

  /**
   * Builds the run's network for its data's shapes; refused when the spec no longer fits the
   * data. `layersOnly`: only the layers have to fit (a model from elsewhere: its loss is never used).
   */
  static build(run: RunFolder, data: TrainingData, layersOnly = false): SnapshotNetwork {
    const report = inferShapes(run.spec, { inputShape: data.inputShape, task: data.task, outputs: data.outputs });
    const issues = layersOnly ? report.issues.filter((i) => i.path.startsWith('model.')) : report.issues;
    if (issues.length > 0) {
      throw new ContractError({
        code: 'failed',
        message: `run ${run.runId}: its spec does not fit its dataset any more (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')})`,
      });
    }
    return new SnapshotNetwork(Network.build(run.spec, report), report);
  }

  get loadedStep(): number | null {
    return this.step;
  }

  /** Assigns every variable from a snapshot's tensors (named `layer/role`). */
  load(step: number, tensors: Map<string, { shape: number[]; data: Float32Array }>, label: string): void {
    if (this.step === step) return;
    // Until every tensor is in, the network is at no snapshot.
    this.step = null;
    for (const layer of this.network.layers) {
      for (const { role, variable } of layer.variables) {
        const name = `${layer.name}/${role}`;
        const tensor = tensors.get(name);
        if (!tensor) throw new ContractError({ code: 'failed', message: `${label}: no tensor "${name}", which the run's network has` });
        if (tensor.shape.length !== variable.shape.length || tensor.shape.some((d, i) => d !== variable.shape[i])) {
          throw new ContractError({ code: 'failed', message: `${label}: "${name}" has shape [${tensor.shape.join(', ')}], the network's is [${variable.shape.join(', ')}]` });
        }
        tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
      }
    }
    this.step = step;
  }

  dispose(): void {
    this.network.dispose();
  }
}
