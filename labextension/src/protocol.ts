/**
 * The messages between a page and kerasnb in a kernel: version 1, JSON.
 *
 * The kernel's half is kernel_ext/kerasnb/lab/protocol.py, where each
 * message is described; both halves are unit tested. This module holds
 * only data and checks (no JupyterLab imports), so jest runs it as is.
 */

import type { JSONObject } from '@lumino/coreutils';

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'kerasnb';

/** One entry of the switcher, as the kernel lists it. */
export interface IBackendChoice {
  name: string;
  label: string;
  installed: boolean;
  install_command: string;
}

/** The backend as the kernel reports it. */
export interface IKernelStatus {
  backend: string;
  keras_imported: boolean;
  keras_version: string | null;
  /** What Keras computes on ("cpu", "gpu ×2"); null before `import keras`. */
  device: string | null;
  /** "imported", or where the next import's backend comes from. */
  source: string;
  backends: IBackendChoice[];
}

/** One Keras model or layer bound to a name in the kernel's namespace. */
export interface IModelRow {
  name: string;
  class_name: string;
  kind: 'model' | 'layer';
  keras_name: string | null;
  built: boolean;
  params: number | null;
  trainable_params: number | null;
  backend: string | null;
  dtype_policy: string | null;
  /** Built on a backend the kernel no longer runs. */
  stale: boolean;
}

/** What `kerasnb.set_backend` did (SwitchResult.to_dict()). */
export interface ISwitchResult {
  previous: string;
  current: string;
  in_place: boolean;
  rebound: string[];
  /** [variable, what it holds] for each variable still on the old backend. */
  stale: [string, string][];
  default: string | null;
  from_environment: boolean;
}

export type KernelMessage =
  | { type: 'hello' }
  | { type: 'status'; status: IKernelStatus }
  | { type: 'models'; models: IModelRow[]; replyTo: string | null }
  | { type: 'switched'; result: ISwitchResult; replyTo: string | null }
  | { type: 'error'; message: string; replyTo: string | null };

/** What a page knows about its notebook's kernel. */
export type LinkState =
  | { kind: 'connected'; status: IKernelStatus }
  | { kind: 'unavailable'; reason: string };

/** A kernel message this page cannot read; the text says what to do. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** The three backends, for labels before any kernel has answered. */
export const KNOWN_BACKENDS: readonly IBackendChoice[] = [
  choice('jax', 'JAX'),
  choice('torch', 'PyTorch'),
  choice('tensorflow', 'TensorFlow')
];

function choice(name: string, label: string): IBackendChoice {
  return {
    name,
    label,
    installed: true,
    install_command: `%pip install ${name}`
  };
}

// --- requests, page -> kernel ----------------------------------------------

export function subscribeRequest(models: boolean): JSONObject {
  return { version: PROTOCOL_VERSION, type: 'subscribe', models };
}

export function switchRequest(requestId: string, backend: string): JSONObject {
  return {
    version: PROTOCOL_VERSION,
    type: 'switch',
    request_id: requestId,
    backend
  };
}

export function listModelsRequest(requestId: string): JSONObject {
  return {
    version: PROTOCOL_VERSION,
    type: 'list_models',
    request_id: requestId
  };
}

// --- messages, kernel -> page ----------------------------------------------

type Fields = Record<string, unknown>;

/**
 * Check one message from the kernel and return it typed.
 *
 * @throws ProtocolError for another protocol version (the message says to
 *   install the same kerasnb release on both sides) or a malformed message.
 */
export function parseKernelMessage(data: unknown): KernelMessage {
  const message = object(data, 'a kerasnb message');
  if (message.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `the kernel's kerasnb speaks protocol ${JSON.stringify(message.version)}, ` +
        `this page's extension speaks ${PROTOCOL_VERSION}: install the same ` +
        "kerasnb release in the kernel's environment and in JupyterLab's"
    );
  }
  switch (message.type) {
    case 'hello':
      return { type: 'hello' };
    case 'status':
      return { type: 'status', status: parseStatus(message.status) };
    case 'models':
      return {
        type: 'models',
        models: array(message.models, 'models').map(parseModelRow),
        replyTo: replyTo(message)
      };
    case 'switched':
      return {
        type: 'switched',
        result: parseSwitchResult(message.result),
        replyTo: replyTo(message)
      };
    case 'error':
      return {
        type: 'error',
        message: text(message.message, 'error.message'),
        replyTo: replyTo(message)
      };
    default:
      throw new ProtocolError(
        `unknown kerasnb message ${JSON.stringify(message.type)} from the kernel`
      );
  }
}

export function parseStatus(data: unknown): IKernelStatus {
  const status = object(data, 'status');
  return {
    backend: text(status.backend, 'status.backend'),
    keras_imported: flag(status.keras_imported, 'status.keras_imported'),
    keras_version: textOrNull(status.keras_version, 'status.keras_version'),
    device: textOrNull(status.device, 'status.device'),
    source: text(status.source, 'status.source'),
    backends: array(status.backends, 'status.backends').map(parseChoice)
  };
}

function parseChoice(data: unknown): IBackendChoice {
  const entry = object(data, 'a backend');
  return {
    name: text(entry.name, 'backend.name'),
    label: text(entry.label, 'backend.label'),
    installed: flag(entry.installed, 'backend.installed'),
    install_command: text(entry.install_command, 'backend.install_command')
  };
}

export function parseModelRow(data: unknown): IModelRow {
  const row = object(data, 'a model row');
  const kind = row.kind;
  if (kind !== 'model' && kind !== 'layer') {
    throw new ProtocolError(
      `a model row's kind is model or layer, not ${kind}`
    );
  }
  return {
    name: text(row.name, 'row.name'),
    class_name: text(row.class_name, 'row.class_name'),
    kind,
    keras_name: textOrNull(row.keras_name, 'row.keras_name'),
    built: flag(row.built, 'row.built'),
    params: countOrNull(row.params, 'row.params'),
    trainable_params: countOrNull(row.trainable_params, 'row.trainable_params'),
    backend: textOrNull(row.backend, 'row.backend'),
    dtype_policy: textOrNull(row.dtype_policy, 'row.dtype_policy'),
    stale: flag(row.stale, 'row.stale')
  };
}

export function parseSwitchResult(data: unknown): ISwitchResult {
  const result = object(data, 'a switch result');
  return {
    previous: text(result.previous, 'result.previous'),
    current: text(result.current, 'result.current'),
    in_place: flag(result.in_place, 'result.in_place'),
    rebound: array(result.rebound, 'result.rebound').map(name =>
      text(name, 'a rebound name')
    ),
    stale: array(result.stale, 'result.stale').map(pair => {
      const [name, what] = array(pair, 'a stale variable');
      return [text(name, 'a stale name'), text(what, 'a stale description')];
    }),
    default: textOrNull(result.default, 'result.default'),
    from_environment: flag(result.from_environment, 'result.from_environment')
  };
}

// --- field checks ------------------------------------------------------------

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what} is a JSON object, got ${describe(value)}`);
  }
  return value as Fields;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new ProtocolError(`${what} is a list, got ${describe(value)}`);
  }
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw new ProtocolError(`${what} is a string, got ${describe(value)}`);
  }
  return value;
}

function textOrNull(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : text(value, what);
}

function flag(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ProtocolError(`${what} is true or false, got ${describe(value)}`);
  }
  return value;
}

function countOrNull(value: unknown, what: string): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ProtocolError(`${what} is a count, got ${describe(value)}`);
  }
  return value;
}

function replyTo(message: Fields): string | null {
  return textOrNull(message.reply_to, 'reply_to');
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'a list' : typeof value;
}
