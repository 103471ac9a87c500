/**
 * One notebook's link to kerasnb in its kernel: its own comm, reopened on every
 * kernel connection, and what the kernel last said.
 *
 * The page only ever opens a comm (to the target `kerasnb`) and sends
 * protocol requests on it; it never sends code. A kernel without kerasnb
 * closes the comm at once, which is how the page learns "not loaded"; when
 * `%load_ext kerasnb` runs later, the kernel's `hello` (a comm it opens and
 * closes) makes the page open its own.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage as Messages } from '@jupyterlab/services';
import { JSONObject, PromiseDelegate, UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { NOT_LOADED } from './describe';
import {
  COMM_TARGET,
  IKernelStatus,
  IModelRow,
  ISwitchResult,
  KernelMessage,
  LinkState,
  ProtocolError,
  listModelsRequest,
  parseKernelMessage,
  subscribeRequest,
  switchRequest
} from './protocol';

type Pending = {
  expect: 'models' | 'switched';
  answer: PromiseDelegate<IModelRow[] | ISwitchResult>;
};

export class KernelLink implements IDisposable {
  constructor(readonly sessionContext: ISessionContext) {
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    sessionContext.statusChanged.connect(this._onStatus, this);
    sessionContext.connectionStatusChanged.connect(this._onConnection, this);
    this._attach(sessionContext.session?.kernel ?? null);
  }

  /** Emitted when the state (connected with a status, or why not) changes. */
  get stateChanged(): ISignal<this, LinkState> {
    return this._stateChanged;
  }

  /** Emitted when the kernel sends its list of models (null: none known). */
  get modelsChanged(): ISignal<this, readonly IModelRow[] | null> {
    return this._modelsChanged;
  }

  get state(): LinkState {
    return this._state;
  }

  /** The kernel's status while kerasnb runs there, else null. */
  get status(): IKernelStatus | null {
    return this._state.kind === 'connected' ? this._state.status : null;
  }

  get models(): readonly IModelRow[] | null {
    return this._models;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Ask for the model list after every cell that changes it (the sidebar is showing). */
  watchModels(watch: boolean): void {
    if (watch === this._watchModels) {
      return;
    }
    this._watchModels = watch;
    this._send(subscribeRequest(watch));
  }

  /** Choose the backend (switching in place after `import keras`). */
  async switchBackend(backend: string): Promise<ISwitchResult> {
    const id = UUID.uuid4();
    return (await this._request(
      id,
      'switched',
      switchRequest(id, backend)
    )) as ISwitchResult;
  }

  async listModels(): Promise<IModelRow[]> {
    const id = UUID.uuid4();
    return (await this._request(
      id,
      'models',
      listModelsRequest(id)
    )) as IModelRow[];
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._detach(true);
    Signal.clearData(this);
  }

  // --- kernel connections --------------------------------------------------

  private _onKernelChanged(
    _: ISessionContext,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this._attach(change.newValue);
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      // The kernel forgets kerasnb; its comms are gone with it.
      this._drop('the kernel is restarting');
    } else if (status === 'dead') {
      this._drop('the kernel is dead');
    }
  }

  private _onConnection(
    _: ISessionContext,
    status: Kernel.ConnectionStatus
  ): void {
    const before = this._connection;
    this._connection = status;
    if (status === 'connected' && before !== 'connected') {
      this._open(); // a new connection (a reconnect, or after a restart): ask afresh
    }
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    this._detach(true);
    this._kernel = kernel;
    if (!kernel) {
      this._setState({
        kind: 'unavailable',
        reason: 'start a kernel, then ' + NOT_LOADED
      });
      return;
    }
    kernel.registerCommTarget(COMM_TARGET, this._onHello);
    this._setState({ kind: 'unavailable', reason: NOT_LOADED });
    this._connection = kernel.connectionStatus;
    if (kernel.connectionStatus === 'connected') {
      this._open();
    }
  }

  private _detach(closeComm: boolean): void {
    const kernel = this._kernel;
    if (kernel && !kernel.isDisposed) {
      kernel.removeCommTarget(COMM_TARGET, this._onHello);
    }
    this._kernel = null;
    this._closeComm(closeComm);
  }

  /** The kernel loaded kerasnb: open this page's own comm (unless one is open). */
  private readonly _onHello = (
    _: Kernel.IComm,
    msg: Messages.ICommOpenMsg
  ): void => {
    try {
      if (
        parseKernelMessage(msg.content.data).type === 'hello' &&
        !this._comm
      ) {
        this._open();
      }
    } catch (reason) {
      this._unreadable(reason);
    }
  };

  private _open(): void {
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed || this._isDisposed) {
      return;
    }
    this._closeComm(true);
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch (reason) {
      // e.g. a kernel connection that does not handle comms
      this._setState({ kind: 'unavailable', reason: String(reason) });
      return;
    }
    this._comm = comm;
    comm.onMsg = msg => {
      if (this._comm === comm) {
        this._onMessage(msg.content.data);
      }
    };
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._drop(NOT_LOADED);
      }
    };
    comm.open(subscribeRequest(this._watchModels));
  }

  private _closeComm(tellKernel: boolean): void {
    const comm = this._comm;
    this._comm = null;
    if (
      comm &&
      tellKernel &&
      !comm.isDisposed &&
      this._kernel?.status !== 'dead'
    ) {
      try {
        comm.close();
      } catch {
        // the connection is already gone; the kernel forgets the comm with it
      }
    }
    this._rejectAll('the kernel connection changed');
  }

  private _drop(reason: string): void {
    this._closeComm(false);
    this._setState({ kind: 'unavailable', reason });
    this._setModels(null);
  }

  // --- messages ----------------------------------------------------------

  private _onMessage(data: unknown): void {
    let message: KernelMessage;
    try {
      message = parseKernelMessage(data);
    } catch (reason) {
      this._unreadable(reason);
      return;
    }
    switch (message.type) {
      case 'status':
        this._setState({ kind: 'connected', status: message.status });
        break;
      case 'models':
        this._setModels(message.models);
        this._settle(message.replyTo, 'models', message.models);
        break;
      case 'switched':
        this._settle(message.replyTo, 'switched', message.result);
        break;
      case 'error':
        if (!this._settle(message.replyTo, null, new Error(message.message))) {
          console.warn(`kerasnb: the kernel says: ${message.message}`);
        }
        break;
      case 'hello':
        break;
    }
  }

  private _unreadable(reason: unknown): void {
    const text =
      reason instanceof ProtocolError ? reason.message : String(reason);
    console.warn(`kerasnb: ${text}`);
    this._drop(text);
  }

  private _request(
    id: string,
    expect: Pending['expect'],
    data: JSONObject
  ): Promise<IModelRow[] | ISwitchResult> {
    const answer = new PromiseDelegate<IModelRow[] | ISwitchResult>();
    if (!this._comm) {
      const reason =
        this._state.kind === 'unavailable' ? this._state.reason : NOT_LOADED;
      answer.reject(
        new Error(`kerasnb is not loaded in this kernel: ${reason}`)
      );
      return answer.promise;
    }
    this._pending.set(id, { expect, answer });
    this._send(data);
    return answer.promise;
  }

  /** Resolve (or, with an Error, reject) the request `id`; false if none waits. */
  private _settle(
    id: string | null,
    kind: Pending['expect'] | null,
    value: IModelRow[] | ISwitchResult | Error
  ): boolean {
    const pending = id === null ? undefined : this._pending.get(id);
    if (!pending || id === null) {
      return false;
    }
    this._pending.delete(id);
    if (value instanceof Error) {
      pending.answer.reject(value);
    } else if (kind === pending.expect) {
      pending.answer.resolve(value);
    } else {
      pending.answer.reject(
        new ProtocolError(`expected ${pending.expect}, got ${kind}`)
      );
    }
    return true;
  }

  private _rejectAll(reason: string): void {
    for (const pending of this._pending.values()) {
      pending.answer.reject(new Error(reason));
    }
    this._pending.clear();
  }

  private _send(data: JSONObject): void {
    if (this._comm && !this._comm.isDisposed) {
      this._comm.send(data);
    }
  }

  private _setState(state: LinkState): void {
    const before = this._state;
    const same =
      before.kind === state.kind &&
      JSON.stringify(before) === JSON.stringify(state);
    this._state = state;
    if (!same) {
      this._stateChanged.emit(state);
    }
  }

  private _setModels(models: readonly IModelRow[] | null): void {
    if (models === null && this._models === null) {
      return;
    }
    this._models = models;
    this._modelsChanged.emit(models);
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _connection: Kernel.ConnectionStatus = 'disconnected';
  private _state: LinkState = { kind: 'unavailable', reason: NOT_LOADED };
  private _models: readonly IModelRow[] | null = null;
  private _watchModels = false;
  private _pending = new Map<string, Pending>();
  private _isDisposed = false;
  private _stateChanged = new Signal<this, LinkState>(this);
  private _modelsChanged = new Signal<this, readonly IModelRow[] | null>(this);
}
