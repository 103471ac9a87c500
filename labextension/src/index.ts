import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

/**
 * Evaluated by the kernel as a user expression: `kerasnb.frontend_status()`
 * wrapped in IPython's JSON display, so the answer comes back as
 * `application/json`; None when kerasnb is not loaded. It never imports
 * kerasnb itself, so asking has no side effect in the kernel.
 */
const STATUS_EXPRESSION =
  "__import__('IPython.display').display.JSON(__import__('json').loads(" +
  "__import__('sys').modules['kerasnb'].frontend_status())) " +
  "if 'kerasnb' in __import__('sys').modules else None";

/** What the kernel reports; null means "kerasnb is not loaded there". */
interface IKerasStatus {
  backend: string;
  kerasVersion: string;
  kerasImported: boolean;
}

/** Parse the reply to STATUS_EXPRESSION; anything unexpected gives null. */
function parseStatus(expression: unknown): IKerasStatus | null {
  try {
    const result = expression as {
      status?: string;
      data?: Record<string, unknown>;
    };
    const data = result?.data?.['application/json'] as
      | Record<string, unknown>
      | undefined;
    if (result?.status !== 'ok' || !data || typeof data !== 'object') {
      return null;
    }
    if (typeof data.backend !== 'string' || !data.backend) {
      return null;
    }
    const version = data.keras_version;
    return {
      backend: data.backend,
      kerasVersion: typeof version === 'string' ? version : '',
      kerasImported: data.keras_imported === true
    };
  } catch {
    return null;
  }
}

/** Ask a kernel, silently and without touching its history, for its status. */
async function queryStatus(
  kernel: Kernel.IKernelConnection
): Promise<IKerasStatus | null> {
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { kerasnb: STATUS_EXPRESSION }
  });
  const reply = await future.done;
  if (reply.content.status !== 'ok') {
    return null;
  }
  return parseStatus(reply.content.user_expressions['kerasnb']);
}

/** The status bar item: `Keras: <backend>` or `Keras: –`. */
class BackendStatus extends Widget {
  constructor() {
    super();
    this.addClass('jp-StatusBar-TextItem');
    this.addClass('jp-kerasnb-status');
    this.setStatus(null);
  }

  setStatus(status: IKerasStatus | null): void {
    const backend = status?.backend ?? '';
    this.node.dataset.kerasnbBackend = backend;
    this.node.textContent = `Keras: ${backend || '–'}`;
    this.node.title = status
      ? `Keras ${status.kerasVersion} on ${backend}` +
        (status.kerasImported ? '' : ' (when keras is imported)')
      : 'kerasnb not loaded in this kernel (%load_ext kerasnb)';
  }
}

/**
 * Keeps the item in step with the current notebook's kernel: asks again after
 * each cell run and when the notebook or its kernel changes. Only the answer
 * to the latest question is shown.
 */
class StatusTracker {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _item: BackendStatus
  ) {
    _tracker.currentChanged.connect(this._onCurrentChanged, this);
    NotebookActions.executed.connect((_, args) => {
      if (args.notebook === this._tracker.currentWidget?.content) {
        void this.refresh();
      }
    });
    this._onCurrentChanged(_tracker, _tracker.currentWidget);
  }

  async refresh(): Promise<void> {
    const request = ++this._request;
    const context = this._tracker.currentWidget?.sessionContext;
    let status: IKerasStatus | null = null;
    try {
      await context?.ready;
      const kernel = context?.session?.kernel;
      if (kernel) {
        status = await queryStatus(kernel);
      }
    } catch (reason) {
      console.debug('kerasnb: status query failed', reason);
    }
    if (request === this._request) {
      this._item.setStatus(status);
    }
  }

  private _onCurrentChanged(_: unknown, panel: NotebookPanel | null): void {
    this._panel?.sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    this._panel?.sessionContext.statusChanged.disconnect(this._onStatus, this);
    this._panel = panel;
    panel?.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    panel?.sessionContext.statusChanged.connect(this._onStatus, this);
    void this.refresh();
  }

  private _onStatus(_: unknown, status: Kernel.Status): void {
    // A restarted kernel has forgotten kerasnb until the next run loads it.
    if (status === 'restarting' || status === 'autorestarting') {
      this._request++;
      this._item.setStatus(null);
    }
  }

  private _onKernelChanged(): void {
    void this.refresh();
  }

  private _panel: NotebookPanel | null = null;
  private _request = 0;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kerasnb:plugin',
  description:
    'Shows the Keras 3 backend of the current notebook kernel in the status bar.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null
  ) => {
    console.log('kerasnb: JupyterLab extension activated');
    if (!statusBar) {
      return;
    }
    const item = new BackendStatus();
    statusBar.registerStatusItem('kerasnb:backend-status', {
      item,
      align: 'left',
      rank: 5
    });
    new StatusTracker(tracker, item);
  }
};

export default plugin;
