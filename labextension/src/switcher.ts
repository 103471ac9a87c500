/**
 * The backend switcher: a notebook toolbar item, a menu, and palette commands.
 *
 * "Keras: use JAX / PyTorch / TensorFlow" (one command, `kerasnb:use-backend`,
 * with the backend in its arguments) sends a `switch` request over the
 * notebook's comm: before `import keras` it sets the backend of the next
 * import, after it Keras switches in place and a notification names the
 * variables still holding old-backend objects. A backend that is not
 * installed is listed disabled, with its install command.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IToolbarWidgetRegistry,
  Notification
} from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { caretDownIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Menu, Widget } from '@lumino/widgets';

import {
  NOT_LOADED,
  choiceCaption,
  choiceOf,
  describeSwitch,
  labelOf,
  statusTitle
} from './describe';
import { kerasIcon } from './icons';
import { KernelLink } from './link';
import { KNOWN_BACKENDS } from './protocol';
import { IKerasnbKernels } from './tokens';

export const USE_BACKEND = 'kerasnb:use-backend';
export const OPEN_SWITCHER = 'kerasnb:open-switcher';
/** The toolbar item's name in the Notebook toolbar (schema/switcher.json). */
const TOOLBAR_ITEM = 'kerasnb-backend';

/** The panel a command acts on: the one named in its arguments, else the current one. */
function panelOf(
  kernels: IKerasnbKernels,
  args: ReadonlyPartialJSONObject
): NotebookPanel | null {
  const id = args.panel;
  return typeof id === 'string' ? kernels.panelById(id) : kernels.currentPanel;
}

function linkOf(
  kernels: IKerasnbKernels,
  args: ReadonlyPartialJSONObject
): KernelLink | null {
  const panel = panelOf(kernels, args);
  return panel ? kernels.linkFor(panel) : null;
}

/** Send the switch and tell the user what it did, in one notification. */
async function switchTo(link: KernelLink, backend: string): Promise<void> {
  const label = labelOf(link.status, backend);
  const id = Notification.emit(`Switching Keras to ${label}…`, 'in-progress', {
    autoClose: false
  });
  try {
    const result = await link.switchBackend(backend);
    const { type, message } = describeSwitch(result, link.status);
    Notification.update({
      id,
      message,
      type,
      autoClose: type === 'warning' ? false : 5000
    });
  } catch (reason) {
    Notification.update({
      id,
      message: reason instanceof Error ? reason.message : String(reason),
      type: 'error',
      autoClose: false
    });
  }
}

function addCommands(app: JupyterFrontEnd, kernels: IKerasnbKernels): void {
  app.commands.addCommand(USE_BACKEND, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          backend: { type: 'string', enum: ['jax', 'torch', 'tensorflow'] },
          panel: { type: 'string', description: 'id of the notebook panel' },
          isPalette: { type: 'boolean' }
        },
        required: ['backend']
      }
    },
    label: args => {
      const name = String(args.backend ?? '');
      const label = labelOf(linkOf(kernels, args)?.status ?? null, name);
      return args.isPalette ? `Keras: use ${label}` : label;
    },
    caption: args =>
      choiceCaption(
        linkOf(kernels, args)?.status ?? null,
        String(args.backend ?? '')
      ),
    isEnabled: args => {
      const status = linkOf(kernels, args)?.status ?? null;
      return (
        !!status && !!choiceOf(status, String(args.backend ?? ''))?.installed
      );
    },
    isToggled: args =>
      linkOf(kernels, args)?.status?.backend === String(args.backend ?? ''),
    execute: async args => {
      const link = linkOf(kernels, args);
      if (link) {
        await switchTo(link, String(args.backend));
      }
    }
  });

  app.commands.addCommand(OPEN_SWITCHER, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          x: { type: 'number', description: 'where the menu opens (px)' },
          y: { type: 'number' },
          above: { type: 'boolean', description: 'open above the point' },
          panel: { type: 'string', description: 'id of the notebook panel' }
        }
      }
    },
    label: 'Keras: choose the backend…',
    caption: 'Choose the Keras backend of the notebook kernel',
    icon: kerasIcon,
    execute: args => {
      const panel = panelOf(kernels, args);
      const link = panel ? kernels.linkFor(panel) : null;
      if (!panel || !link) {
        return;
      }
      const menu = new Menu({ commands: app.commands });
      menu.addClass('jp-kerasnb-switcher-menu');
      menu.title.label = 'Keras backend';
      for (const choice of link.status?.backends ?? KNOWN_BACKENDS) {
        menu.addItem({
          command: USE_BACKEND,
          args: { backend: choice.name, panel: panel.id }
        });
      }
      menu.aboutToClose.connect(() =>
        requestAnimationFrame(() => menu.dispose())
      );
      const x = Number(args.x ?? 0);
      const y = Number(args.y ?? 0);
      menu.open(x, y);
      if (args.above) {
        // Opened from the status bar: sit just above the point.
        const height = menu.node.getBoundingClientRect().height;
        menu.node.style.top = `${Math.max(0, y - height)}px`;
      }
    }
  });
}

/** The notebook toolbar's switcher: the backend, and a menu of the others. */
class BackendSwitcher extends Widget {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _panel: NotebookPanel,
    private readonly _kernels: IKerasnbKernels
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-ToolbarButtonComponent');
    this.addClass('jp-kerasnb-switcher');
    const node = this.node as HTMLButtonElement;
    node.type = 'button';
    this._label.className =
      'jp-ToolbarButtonComponent-label jp-kerasnb-switcher-label';
    const icon = kerasIcon.element({
      tag: 'span',
      className: 'jp-ToolbarButtonComponent-icon'
    });
    const caret = caretDownIcon.element({
      tag: 'span',
      className: 'jp-kerasnb-switcher-caret'
    });
    node.append(icon, this._label, caret);
    // The toolbar is made before the tracker knows the panel: find the link on each change.
    _kernels.linkChanged.connect((_, link) => {
      if (link === this._link) {
        this._render();
      }
    }, this);
    this._render();
  }

  handleEvent(event: Event): void {
    if (event.type === 'click' && this._link?.status) {
      const box = this.node.getBoundingClientRect();
      void this._app.commands.execute(OPEN_SWITCHER, {
        x: box.left,
        y: box.bottom,
        panel: this._panel.id
      });
    }
  }

  protected onAfterAttach(): void {
    this.node.addEventListener('click', this);
  }

  protected onBeforeDetach(): void {
    this.node.removeEventListener('click', this);
  }

  private get _link(): KernelLink | null {
    return this._kernels.linkFor(this._panel);
  }

  private _render(): void {
    const state = this._link?.state ?? {
      kind: 'unavailable',
      reason: NOT_LOADED
    };
    const node = this.node as HTMLButtonElement;
    node.disabled = state.kind !== 'connected';
    node.dataset.kerasnbState = state.kind;
    node.dataset.kerasnbBackend =
      state.kind === 'connected' ? state.status.backend : '';
    this._label.textContent =
      state.kind === 'connected'
        ? labelOf(state.status, state.status.backend)
        : 'Keras';
    node.title = statusTitle(state);
  }

  private _label = document.createElement('span');
}

export const switcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'kerasnb:switcher',
  description:
    'The Keras backend switcher: in the notebook toolbar, from the status bar and in the palette.',
  autoStart: true,
  requires: [IKerasnbKernels],
  optional: [ICommandPalette, IToolbarWidgetRegistry],
  activate: (
    app: JupyterFrontEnd,
    kernels: IKerasnbKernels,
    palette: ICommandPalette | null,
    toolbars: IToolbarWidgetRegistry | null
  ): void => {
    addCommands(app, kernels);
    for (const choice of KNOWN_BACKENDS) {
      palette?.addItem({
        command: USE_BACKEND,
        args: { backend: choice.name, isPalette: true },
        category: 'Keras'
      });
    }
    // Commands change with the kernel's answers: refresh their labels and states.
    kernels.linkChanged.connect(() =>
      app.commands.notifyCommandChanged(USE_BACKEND)
    );
    kernels.currentChanged.connect(() =>
      app.commands.notifyCommandChanged(USE_BACKEND)
    );
    toolbars?.addFactory<NotebookPanel>(
      'Notebook',
      TOOLBAR_ITEM,
      panel => new BackendSwitcher(app, panel, kernels)
    );
  }
};
