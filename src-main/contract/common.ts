/** Small schemas shared by the contract's modules. */
import { z } from 'zod';

export const BackendName = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

export const JobId = z.string().min(1).max(64);
