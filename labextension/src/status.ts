/**
 * The status bar item: "Keras: jax · cpu" for the current notebook's kernel.
 *
 * Clicking it opens the backend switcher. Jupyter Notebook 7 has no status
 * bar: the plugin then does nothing (the toolbar switcher shows the same).
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { statusText, statusTitle } from './describe';
import { KernelLink } from './link';
import { OPEN_SWITCHER } from './switcher';
import { IKerasnbKernels } from './tokens';

class BackendStatusItem extends Widget {
  constructor(private readonly _onClick: (item: BackendStatusItem) => void) {
    super();
    this.addClass('jp-StatusBar-TextItem');
    this.addClass('jp-kerasnb-status');
    this.node.setAttribute('role', 'button');
    this.render(null);
  }

  render(link: KernelLink | null): void {
    const state = link?.state ?? {
      kind: 'unavailable',
      reason: 'open a notebook'
    };
    this.node.textContent = statusText(state);
    this.node.title = statusTitle(state);
    this.node.dataset.kerasnbState = state.kind;
    this.node.dataset.kerasnbBackend =
      state.kind === 'connected' ? state.status.backend : '';
  }

  protected onAfterAttach(): void {
    this.node.addEventListener('click', this._click);
  }

  protected onBeforeDetach(): void {
    this.node.removeEventListener('click', this._click);
  }

  private readonly _click = (): void => this._onClick(this);
}

export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'kerasnb:status',
  description:
    "Shows the Keras backend and device of the notebook's kernel in the status bar.",
  autoStart: true,
  requires: [IKerasnbKernels],
  optional: [IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    kernels: IKerasnbKernels,
    statusBar: IStatusBar | null
  ): void => {
    if (!statusBar) {
      return; // Notebook 7: no status bar
    }
    const item = new BackendStatusItem(clicked => {
      if (app.commands.hasCommand(OPEN_SWITCHER)) {
        const box = clicked.node.getBoundingClientRect();
        void app.commands.execute(OPEN_SWITCHER, {
          x: box.left,
          y: box.top,
          above: true
        });
      }
    });
    const update = (): void => item.render(kernels.current);
    const activeChanged = new Signal<BackendStatusItem, void>(item);
    kernels.currentChanged.connect(() => {
      update();
      activeChanged.emit();
    });
    kernels.linkChanged.connect((_, link) => {
      if (link === kernels.current) {
        update();
      }
    });
    update();
    statusBar.registerStatusItem(statusPlugin.id, {
      item,
      align: 'left',
      rank: 5,
      isActive: () => kernels.current !== null,
      activeStateChanged: activeChanged
    });
  }
};
