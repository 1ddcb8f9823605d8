/**
 * What travels in a drag on the Model screen. Custom MIME types keep a layer drag apart from
 * a file dropped from the desktop (`Files`) and from text dragged in from elsewhere.
 */
import type { LayerType } from '@contract';

/** A new layer from the palette; the data is its type. */
export const LAYER_MIME = 'application/x-trainbench-layer';
/** A layer of the network being moved; the data is its index. */
export const MOVE_MIME = 'application/x-trainbench-move';

export type LayerFamily = 'weights' | 'pool' | 'shape' | 'regular' | 'act';

/** The colour family of a layer type in the palette and the network. */
export function layerFamily(type: LayerType): LayerFamily {
  switch (type) {
    case 'dense':
    case 'conv2d':
      return 'weights';
    case 'maxPooling2d':
    case 'averagePooling2d':
      return 'pool';
    case 'input':
    case 'flatten':
      return 'shape';
    case 'dropout':
    case 'batchNormalization':
      return 'regular';
    case 'activation':
      return 'act';
  }
}

/**
 * Where a drop lands in a list: before the block under the pointer when in its upper half,
 * after it otherwise. Returns the insertion index (0 … count).
 */
export function dropIndex(blockIndex: number, pointerY: number, top: number, height: number): number {
  return pointerY < top + height / 2 ? blockIndex : blockIndex + 1;
}

/** The index a moved layer ends up at, when dropped at insertion index `insertAt`. */
export function moveTarget(from: number, insertAt: number): number {
  return insertAt > from ? insertAt - 1 : insertAt;
}
