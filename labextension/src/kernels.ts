/**
 * The plugin that links every notebook to kerasnb in its kernel (IKerasnbKernels).
 *
 * One KernelLink per notebook panel, made when the tracker sees the panel and
 * disposed with it. Costs a notebook that does not use kerasnb one comm_open
 * per kernel connection, and nothing per cell.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { KernelLink } from './link';
import { IKerasnbKernels } from './tokens';

class KernelLinks implements IKerasnbKernels {
  constructor(private readonly _tracker: INotebookTracker) {
    _tracker.forEach(panel => this._add(panel));
    _tracker.widgetAdded.connect((_, panel) => this._add(panel));
    _tracker.currentChanged.connect(() =>
      this._currentChanged.emit(this.current)
    );
  }

  get current(): KernelLink | null {
    const panel = this._tracker.currentWidget;
    return panel ? this.linkFor(panel) : null;
  }

  get currentPanel(): NotebookPanel | null {
    return this._tracker.currentWidget;
  }

  get currentChanged(): ISignal<IKerasnbKernels, KernelLink | null> {
    return this._currentChanged;
  }

  get linkChanged(): ISignal<IKerasnbKernels, KernelLink> {
    return this._linkChanged;
  }

  linkFor(panel: NotebookPanel): KernelLink | null {
    return this._links.get(panel) ?? null;
  }

  panelById(id: string): NotebookPanel | null {
    return this._tracker.find(panel => panel.id === id) ?? null;
  }

  private _add(panel: NotebookPanel): void {
    if (this._links.has(panel)) {
      return;
    }
    const link = new KernelLink(panel.sessionContext);
    this._links.set(panel, link);
    link.stateChanged.connect(() => this._linkChanged.emit(link));
    link.modelsChanged.connect(() => this._linkChanged.emit(link));
    panel.disposed.connect(() => {
      this._links.delete(panel);
      link.dispose();
    });
    this._linkChanged.emit(link);
    if (panel === this._tracker.currentWidget) {
      // The tracker may name a panel current before it announces it as added.
      this._currentChanged.emit(link);
    }
  }

  private _links = new Map<NotebookPanel, KernelLink>();
  private _currentChanged = new Signal<IKerasnbKernels, KernelLink | null>(
    this
  );
  private _linkChanged = new Signal<IKerasnbKernels, KernelLink>(this);
}

export const kernelsPlugin: JupyterFrontEndPlugin<IKerasnbKernels> = {
  id: 'kerasnb:kernels',
  description:
    "Links each notebook to kerasnb in its kernel through the 'kerasnb' comm.",
  autoStart: true,
  requires: [INotebookTracker],
  provides: IKerasnbKernels,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker
  ): IKerasnbKernels => {
    console.log('kerasnb: JupyterLab extension activated');
    return new KernelLinks(tracker);
  }
};
