/**
 * Request handlers of the diagnosis tools that run outside a training job: the gradient
 * check. Spread into the engine's handlers.
 */
import { ContractError, type BackendName } from '@contract';
import type { Emit, Handlers } from './dispatcher';
import type { DatasetRegistry } from './datasetRegistry';
import { runGradientCheck } from './diagnosis/gradcheck';
import { SpecError } from './training/trainer';

export interface DiagnoseContext {
  datasets: DatasetRegistry;
  backend: BackendName;
  emit: Emit;
}

export function diagnoseHandlers(context: DiagnoseContext): Pick<Handlers, 'diagnose.gradcheck'> {
  // One check at a time: two would share the engine's one thread and both report late.
  let running = false;
  return {
    'diagnose.gradcheck': async ({ spec, seed, samples }) => {
      if (running) throw new ContractError({ code: 'busy', message: 'a gradient check is already running in this engine: wait for its report' });
      running = true;
      try {
        const data = await context.datasets.resolve(spec);
        return await runGradientCheck(spec, data, {
          ...(seed !== undefined ? { seed } : {}),
          ...(samples !== undefined ? { samples } : {}),
          backend: context.backend,
          onProgress: (done, total, layer) => context.emit('diagnose.gradcheck.progress', { done, total, layer }),
        });
      } catch (error) {
        if (error instanceof SpecError) {
          const issues = error.issues.map((i) => ({ path: `spec.${i.path}`, message: i.message }));
          throw new ContractError({ code: 'invalid-payload', message: `the gradient check cannot run: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues });
        }
        throw error;
      } finally {
        running = false;
      }
    },
  };
}
