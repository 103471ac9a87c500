/**
 * Cell actions: "Compare this cell on all backends" and "Export cell to module...".
 *
 * In the cell context menu, the cell toolbar and the palette, with keyboard
 * shortcuts (schema/cell-commands.json, so they are listed in the Settings
 * editor). Both are enabled only while kerasnb runs in the notebook's kernel.
 *
 * - Compare runs the cell's code through `%%keras_compare` and shows the
 *   comparison as the cell's output; the cell's source is left as it is.
 * - Export asks for the module path (prefilled with the cell's own target or
 *   the last path used in this notebook, kept in its metadata), writes
 *   `%%keras_export PATH` as the cell's first line and runs it, so the saved
 *   notebook, and `kerasnb export` reading it headless, see the magic.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification
} from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { compareCode, exportTarget, withExportLine } from './cellSource';
import { compareIcon, exportIcon } from './icons';
import { rewriteAndRun, runInstead } from './notebookCells';
import { IKerasnbKernels } from './tokens';

export const COMPARE_CELL = 'kerasnb:compare-cell';
export const EXPORT_CELL = 'kerasnb:export-cell';
/** Where the last module path of a notebook is kept: metadata.kerasnb.export_path. */
const METADATA_KEY = 'kerasnb';

// Both cell commands take the same argument: which cell to act on.
const CELL_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      fromContextMenu: {
        type: 'boolean' as const,
        description: 'act on the cell the context menu was opened on'
      }
    }
  }
};

function activeCodeCell(panel: NotebookPanel | null): CodeCell | null {
  const cell = panel?.content.activeCell;
  return cell && cell.model.type === 'code' ? (cell as CodeCell) : null;
}

/**
 * The cell a command acts on: from the context menu, the cell it was opened
 * on (which a right-click inside a selection does not make active), made
 * active so the user sees it; otherwise the active cell.
 */
function targetCell(
  app: JupyterFrontEnd,
  panel: NotebookPanel | null,
  args: ReadonlyPartialJSONObject
): CodeCell | null {
  if (panel && args.fromContextMenu) {
    const node = app.contextMenuHitTest(n => n.classList.contains('jp-Cell'));
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.node === node);
    if (index >= 0 && notebook.activeCellIndex !== index) {
      notebook.deselectAll();
      notebook.activeCellIndex = index;
    }
  }
  return activeCodeCell(panel);
}

function lastExportPath(panel: NotebookPanel): string {
  const saved = panel.model?.getMetadata(METADATA_KEY) as
    { export_path?: unknown } | undefined;
  return typeof saved?.export_path === 'string' ? saved.export_path : '';
}

function rememberExportPath(panel: NotebookPanel, path: string): void {
  const saved = panel.model?.getMetadata(METADATA_KEY);
  const before = typeof saved === 'object' && saved !== null ? saved : {};
  panel.model?.setMetadata(METADATA_KEY, { ...before, export_path: path });
}

function failed(reason: unknown): void {
  Notification.error(reason instanceof Error ? reason.message : String(reason));
}

export const cellCommandsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'kerasnb:cell-commands',
  description:
    'Compare a cell on all backends, or export it to a module, in one click.',
  autoStart: true,
  requires: [IKerasnbKernels],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    kernels: IKerasnbKernels,
    palette: ICommandPalette | null
  ): void => {
    // Visible only where kerasnb runs: notebooks that do not use it get no buttons.
    const loaded = (): boolean => !!kernels.current?.status;
    const usable = (): boolean =>
      loaded() && activeCodeCell(kernels.currentPanel) !== null;

    app.commands.addCommand(COMPARE_CELL, {
      describedBy: CELL_ARGS,
      label: 'Compare this cell on all backends',
      caption:
        'Run the cell on JAX, PyTorch and TensorFlow side by side (%%keras_compare)',
      icon: compareIcon,
      isEnabled: usable,
      isVisible: loaded,
      execute: async args => {
        const panel = kernels.currentPanel;
        const cell = targetCell(app, panel, args);
        if (!panel || !cell || !usable()) {
          return;
        }
        try {
          await runInstead(
            panel,
            cell,
            compareCode(cell.model.sharedModel.getSource())
          );
        } catch (reason) {
          failed(reason);
        }
      }
    });

    app.commands.addCommand(EXPORT_CELL, {
      describedBy: CELL_ARGS,
      label: 'Export cell to module…',
      caption:
        'Run the cell with %%keras_export and write it into a module of your package',
      icon: exportIcon,
      isEnabled: usable,
      isVisible: loaded,
      execute: async args => {
        const panel = kernels.currentPanel;
        const cell = targetCell(app, panel, args);
        if (!panel || !cell || !usable()) {
          return;
        }
        const source = cell.model.sharedModel.getSource();
        const answer = await InputDialog.getText({
          title: 'Export cell to module',
          label: "Module path, relative to the notebook's folder",
          placeholder: 'mypkg/models/mlp.py',
          text: exportTarget(source) ?? lastExportPath(panel),
          okLabel: 'Export'
        });
        const path = answer.value?.trim();
        if (!answer.button.accept || !path) {
          return;
        }
        try {
          rememberExportPath(panel, path);
          await rewriteAndRun(panel, cell, withExportLine(source, path));
        } catch (reason) {
          failed(reason);
        }
      }
    });

    for (const command of [COMPARE_CELL, EXPORT_CELL]) {
      palette?.addItem({ command, category: 'Keras' });
    }
    const refresh = (): void => {
      app.commands.notifyCommandChanged(COMPARE_CELL);
      app.commands.notifyCommandChanged(EXPORT_CELL);
    };
    kernels.linkChanged.connect(refresh);
    kernels.currentChanged.connect(refresh);
  }
};
