/**
 * The contract: every message that crosses a process boundary in Trainbench is named and
 * typed here, with a runtime schema. Main, preload, engine, serve and renderer import this
 * module and nothing else crosses a boundary. Payloads are validated on arrival; an unknown
 * channel or an invalid payload is answered with a {@link ContractError}, never a crash.
 *
 * This module must stay free of Node, Electron and DOM imports: it runs everywhere.
 */
import { z } from 'zod';
import { Spec } from './spec';
import { BackendName, JobId } from './common';
import { EpochSummary, JobInfo, NonFiniteReport, ProbeResult, RunFinal, RunSummary, Snapshot, SpecCheck, StepPoint } from './training';
import { DatasetProgress, DatasetSource, LoadedDataset, SamplePreview, UploadBegin, UploadChunk, UploadFinish } from './datasets';
import { Normalization as NormalizationSchema } from './spec';
import { HistogramSet, MemoryReadout } from './monitoring';

export * from './spec';
export * from './specShapes';
export * from './datasets';
export * from './common';
export * from './training';
export * from './monitoring';
export * from './findings';
export * from './specPaths';
export * from './random';
export * from './histogram';
export * from './runs';
import { RunExport, runsRequests } from './runs';
export * from './seedStats';
export * from './memory';
import { EngineMemory } from './memory';
export * from './gradcheck';
import { GradcheckProgress, GradcheckReport, GradcheckRequest } from './gradcheck';
export * from './inspect';
import { inspectRequests } from './inspect';
import { Finding } from './findings';
export { encodeWire, decodeWire, WireError } from './wire';

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------



export const BackendAvailability = z.object({
  name: BackendName,
  /** The npm package that provides it. */
  package: z.string(),
  available: z.boolean(),
  /** Why it is not available (the load error, shortened), or null when it is. */
  reason: z.string().nullable(),
});
export type BackendAvailability = z.infer<typeof BackendAvailability>;

export const EngineInfo = z.object({
  tfjsVersion: z.string(),
  backend: BackendName,
  backends: z.array(BackendAvailability),
  nodeVersion: z.string(),
  pid: z.number().int(),
  platform: z.string(),
  /** True when this engine runs in an Electron utilityProcess, false in a plain Node child. */
  utilityProcess: z.boolean(),
  /**
   * Threads the heavy kernels split their batch across (wasm: the engine's and its kernel
   * worker threads), and why there are no more (one core, turned off, a worker failed).
   */
  threads: z.object({ count: z.number().int().min(1), reason: z.string().nullable() }).strict().optional(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

export const JobStatus = z.enum(['running', 'paused', 'done', 'stopped', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

// ---------------------------------------------------------------------------------------------
// Requests (with responses) and events
// ---------------------------------------------------------------------------------------------

const Empty = z.object({}).strict();

const JobRef = z.object({ jobId: JobId }).strict();


/**
 * Requests: channel → schema of the request payload and of the response result.
 * Channel names are `area.verb`. Adding a channel here is the only way to add one.
 */
export const requests = {
  'engine.info': { request: Empty, response: EngineInfo },
  /** Tensors and process memory of the engine now (long-run checks). */
  'engine.memory': { request: Empty, response: EngineMemory },
  /** Handled by the host, not the engine: starts a new engine (after a crash, or to change backend). */
  'engine.restart': { request: z.object({ backend: BackendName.optional() }).strict(), response: EngineInfo },
  'presets.list': { request: Empty, response: z.array(z.object({ name: z.string(), spec: Spec })) },
  /**
   * Checks a spec against its dataset without training: every layer's shape and parameter
   * count, and every problem with its field path. The Model screen calls it on every edit.
   */
  'spec.check': { request: z.object({ spec: Spec }).strict(), response: SpecCheck },
  /**
   * The Model screen's "PyTorch script": train.py, data.npz (the spec's data as the engine
   * prepares it, a loaded dataset included) in one tar; refused naming a layer or option
   * PyTorch cannot train the same way. Nothing is written to disk (`path` is null).
   */
  'spec.export': { request: z.object({ spec: Spec, to: z.literal('pytorch') }).strict(), response: RunExport },
  /** Loads a dataset from disk (desktop app: the dropped path) or a built-in; refused with the file at fault. */
  'dataset.load': { request: z.object({ source: DatasetSource, normalization: NormalizationSchema.optional(), name: z.string().max(256).optional() }).strict(), response: LoadedDataset },
  /** serve mode: a dropped file or folder arrives in chunks, then loads like a path. */
  'dataset.upload.begin': { request: UploadBegin, response: z.object({ uploadId: z.string() }) },
  'dataset.upload.chunk': { request: UploadChunk, response: z.object({ received: z.number().int().nonnegative() }) },
  'dataset.upload.finish': { request: UploadFinish, response: LoadedDataset },
  'dataset.upload.cancel': { request: z.object({ uploadId: z.string().min(1).max(128) }).strict(), response: z.object({ cancelled: z.boolean() }) },
  /** Datasets loaded in this engine, for specs that name one as {kind: 'loaded', id}. */
  'dataset.list': { request: Empty, response: z.array(LoadedDataset) },
  'dataset.preview': {
    request: z.object({ id: z.string().min(1).max(128), n: z.number().int().min(1).max(1024), split: z.enum(['train', 'test']).optional(), seed: z.number().int().min(0).optional() }).strict(),
    response: z.array(SamplePreview),
  },
  /** The runs in a folder (the host's runs folder when none is given), newest first. */
  'runs.list': { request: z.object({ runsDir: z.string().min(1).max(4096).optional() }).strict(), response: z.array(RunSummary) },
  /** Starts training a spec; refused with the field paths of every problem when it cannot be built. */
  'train.start': {
    request: z.object({ spec: Spec, /** Where to write the run folder; none: not written. */ runsDir: z.string().min(1).max(4096).optional() }).strict(),
    response: JobInfo,
  },
  /** The weights (and probe activations) now, without waiting for the next snapshot step. */
  'train.snapshot': { request: JobRef, response: Snapshot },
  'train.pause': { request: JobRef, response: z.object({ status: JobStatus }) },
  'train.resume': { request: JobRef, response: z.object({ status: JobStatus }) },
  'train.stop': { request: JobRef, response: z.object({ status: JobStatus }) },
  /** Rename, tag, delete, reveal, export a saved run; get or set the runs folder (contract/runs.ts). */
  ...runsRequests,
  /** Backprop against central differences on a small batch, per layer; progress as diagnose.gradcheck.progress. */
  'diagnose.gradcheck': { request: GradcheckRequest, response: GradcheckReport },
  /** Offline inspection of a saved run (contract/inspect.ts). */
  ...inspectRequests,
} as const;

export const EngineState = z.enum(['starting', 'ready', 'crashed', 'restarting', 'stopped']);
export type EngineState = z.infer<typeof EngineState>;

/** Events: channel → payload schema. Sent by the engine (or its host) to every client. */
export const events = {
  /**
   * What happened since the last update: the steps, the epochs that ended, and the probes. The engine sends at most ~30 a second, whatever the step rate, so that no client
   * falls behind it and it never waits for one.
   */
  'train.update': z.object({
    jobId: JobId,
    points: z.array(StepPoint).max(1_000_000),
    epochs: z.array(EpochSummary).max(100_000),
    /** Every probe taken since the last update, oldest first (only the latest keeps its surface). */
    probes: z.array(ProbeResult).max(10_000),
    /** The engine's memory as this update left; absent from engines older than the field. */
    memory: MemoryReadout.optional(),
  }),
  /** Weights at a snapshot step: one a second at most (every snapshot is on disk). */
  'train.snapshot': Snapshot,
  /** Per-layer histograms of weights, biases, gradients and activations: at the start, snapshot steps, every few seconds, the end. */
  'train.histograms': HistogramSet,
  'train.nonFinite': NonFiniteReport,
  /** A diagnosis finding, raised (`new`) or grown (`update`: more units, a plateau that ended). */
  'train.finding': z.object({ jobId: JobId, finding: Finding, change: z.enum(['new', 'update']) }),
  'train.status': z.object({
    jobId: JobId,
    status: JobStatus,
    error: z.string().optional(),
    /** With done, stopped and failed. */
    final: RunFinal.optional(),
  }),
  'dataset.progress': DatasetProgress,
  'diagnose.gradcheck.progress': GradcheckProgress,
  /** The engine process as its host sees it: started, crashed, restarted. */
  'engine.status': z.object({
    state: EngineState,
    pid: z.number().int().nullable(),
    message: z.string(),
    restarts: z.number().int().nonnegative(),
  }),
} as const;

export type RequestChannel = keyof typeof requests;
/** Channels the host answers itself; every other request channel goes to the engine. */
export const HOST_CHANNELS = ['engine.restart', 'runs.folder', 'runs.delete', 'runs.reveal'] as const satisfies readonly RequestChannel[];
export type HostChannel = (typeof HOST_CHANNELS)[number];
export type EngineChannel = Exclude<RequestChannel, HostChannel>;
export type EventChannel = keyof typeof events;
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>;
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof requests)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['response']>;
export type EventOf<C extends EventChannel> = z.output<(typeof events)[C]>;

export const requestChannels = Object.keys(requests) as RequestChannel[];
export const eventChannels = Object.keys(events) as EventChannel[];

export function isRequestChannel(channel: string): channel is RequestChannel {
  return Object.prototype.hasOwnProperty.call(requests, channel);
}
export function isEventChannel(channel: string): channel is EventChannel {
  return Object.prototype.hasOwnProperty.call(events, channel);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export const ErrorCode = z.enum([
  'unknown-channel',
  'invalid-message',
  'invalid-payload',
  'invalid-response',
  'busy',
  'not-found',
  'engine-unavailable',
  'failed',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ContractErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  /** For invalid payloads: each problem with the field path it concerns. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ContractErrorShape = z.infer<typeof ContractErrorShape>;

/** The one error type that crosses process boundaries. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly issues: { path: string; message: string }[] | undefined;
  constructor(shape: ContractErrorShape) {
    super(shape.message);
    this.name = 'ContractError';
    this.code = shape.code;
    this.issues = shape.issues;
  }
  toShape(): ContractErrorShape {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** Formats zod issues as `path: message` pairs, with the path written `a.b.0.c`. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

function invalid(code: ErrorCode, what: string, error: z.ZodError): ContractError {
  const issues = describeIssues(error);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new ContractError({ code, message: `${what}: ${summary}`, issues });
}

// ---------------------------------------------------------------------------------------------
// Envelopes: the shape of every message on every transport (Electron IPC, Node IPC, WebSocket)
// ---------------------------------------------------------------------------------------------

/** Largest request id; ids are per connection and wrap long before this. */
const MessageId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const ChannelName = z.string().min(1).max(100);

export const RequestMessage = z
  .object({ type: z.literal('request'), id: MessageId, channel: ChannelName, payload: z.unknown() })
  .strict();
export const ResponseMessage = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('response'), id: MessageId, ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ type: z.literal('response'), id: MessageId, ok: z.literal(false), error: ContractErrorShape }).strict(),
]);
export const EventMessage = z
  .object({ type: z.literal('event'), channel: ChannelName, payload: z.unknown() })
  .strict();
export const Message = z.union([RequestMessage, ResponseMessage, EventMessage]);

export type RequestMessage = z.infer<typeof RequestMessage>;
export type ResponseMessage = z.infer<typeof ResponseMessage>;
export type EventMessage = z.infer<typeof EventMessage>;
export type Message = z.infer<typeof Message>;

/** Parses any incoming envelope; throws ContractError('invalid-message') when it is not one. */
export function parseMessage(raw: unknown): Message {
  const parsed = Message.safeParse(raw);
  if (!parsed.success) throw invalid('invalid-message', 'not a Trainbench message', parsed.error);
  return parsed.data;
}

/** Validates a request payload for its channel; throws ContractError on an unknown channel or bad payload. */
export function parseRequest<C extends RequestChannel>(channel: C, payload: unknown): ParsedRequestOf<C>;
export function parseRequest(channel: string, payload: unknown): unknown;
export function parseRequest(channel: string, payload: unknown): unknown {
  if (!isRequestChannel(channel)) {
    throw new ContractError({ code: 'unknown-channel', message: `unknown request channel "${channel}"` });
  }
  const parsed = requests[channel].request.safeParse(payload ?? {});
  if (!parsed.success) throw invalid('invalid-payload', `${channel} request`, parsed.error);
  return parsed.data;
}

/** Validates a response result for its channel. */
export function parseResponse<C extends RequestChannel>(channel: C, result: unknown): ResponseOf<C> {
  const parsed = requests[channel].response.safeParse(result);
  if (!parsed.success) throw invalid('invalid-response', `${channel} response`, parsed.error);
  return parsed.data as ResponseOf<C>;
}

/** Validates an event payload for its channel. */
export function parseEvent<C extends EventChannel>(channel: C, payload: unknown): EventOf<C>;
export function parseEvent(channel: string, payload: unknown): unknown;
export function parseEvent(channel: string, payload: unknown): unknown {
  if (!isEventChannel(channel)) {
    throw new ContractError({ code: 'unknown-channel', message: `unknown event channel "${channel}"` });
  }
  const parsed = events[channel].safeParse(payload);
  if (!parsed.success) throw invalid('invalid-payload', `${channel} event`, parsed.error);
  return parsed.data;
}

/** Turns anything thrown into the error shape that crosses a boundary. */
export function toErrorShape(error: unknown): ContractErrorShape {
  if (error instanceof ContractError) return error.toShape();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'failed', message };
}

// ---------------------------------------------------------------------------------------------
// The bridge: what the renderer sees, whatever the host
// ---------------------------------------------------------------------------------------------

/** The renderer's one view of the engine. Implemented by the Electron preload and by WebSocket. */
export interface Bridge {
  /** Which host this bridge talks to; shown in the status bar, never branched on by screens. */
  readonly host: 'electron' | 'serve';
  request<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to an event channel; returns the function that unsubscribes. */
  on<C extends EventChannel>(channel: C, listener: (payload: EventOf<C>) => void): () => void;
  /**
   * The path on disk of a dropped file, where the host can see it (the desktop app); null in
   * a browser, where dropped files are uploaded in chunks instead.
   */
  pathForFile(file: File): string | null;
}

/** Name of the preload's global, and the prefix of every IPC channel in the desktop app. */
export const PRELOAD_GLOBAL = 'trainbench';
export const IPC_PREFIX = 'trainbench:';
/** The one IPC channel on which main pushes events to the window. */
export const IPC_EVENT_CHANNEL = `${IPC_PREFIX}event`;
