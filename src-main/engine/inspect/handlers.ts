/** The engine's handlers of the `inspect.*` channels: each names a run in a runs folder. */
import { ContractError, type InspectChannel } from '@contract';
import type { Handlers } from '../dispatcher';
import type { Inspector } from './inspector';

function runsFolder(runsDir: string | undefined, channel: InspectChannel): string {
  if (!runsDir) throw new ContractError({ code: 'invalid-payload', message: `${channel}: no runs folder given and none configured`, issues: [{ path: 'runsDir', message: 'required' }] });
  return runsDir;
}

export function inspectHandlers(inspector: Inspector): Pick<Handlers, InspectChannel> {
  const folder = (runsDir: string | undefined, channel: InspectChannel, runId?: string): string => (runId && inspector.isOutside(runId) ? '' : runsFolder(runsDir, channel));
  return {
    'inspect.openModel': (request) => inspector.openModel(request),
    'inspect.open': ({ runsDir, runId }) => inspector.inspectOpen(folder(runsDir, 'inspect.open', runId), runId),
    'inspect.layer': ({ runsDir, runId, step, layer, sample }) => inspector.inspectLayer(folder(runsDir, 'inspect.layer', runId), runId, step, layer, sample),
    'inspect.unit': ({ runsDir, runId, step, layer, unit, sample, k }) => inspector.inspectUnit(folder(runsDir, 'inspect.unit', runId), runId, step, layer, unit, sample, k),
    'inspect.surface': ({ runsDir, runId, step }) => inspector.inspectSurface(folder(runsDir, 'inspect.surface', runId), runId, step),
  };
}
