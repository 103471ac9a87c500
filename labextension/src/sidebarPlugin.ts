/**
 * The plugin of the "Keras" sidebar and of its row actions (Summary, Graph).
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { graphLine, summaryLine } from './cellSource';
import { insertAndRun } from './notebookCells';
import { KerasSidebar, RowAction } from './sidebar';
import { IKerasnbKernels } from './tokens';

// Both insert commands take the model's variable name.
const MODEL_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, description: 'a Python variable' }
    },
    required: ['name']
  }
};

export const INSERT_SUMMARY = 'kerasnb:insert-summary';
export const INSERT_GRAPH = 'kerasnb:insert-graph';

export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'kerasnb:sidebar',
  description:
    "A 'Keras' sidebar listing the models and layers in the notebook's kernel.",
  autoStart: true,
  requires: [IKerasnbKernels],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    kernels: IKerasnbKernels,
    restorer: ILayoutRestorer | null
  ): void => {
    const connected = (): boolean => !!kernels.current?.status;
    const insert =
      (line: (name: string) => string) => async (args: { name?: unknown }) => {
        const panel = kernels.currentPanel;
        if (!panel || !connected()) {
          return;
        }
        try {
          await insertAndRun(panel, line(String(args.name ?? '')));
        } catch (reason) {
          Notification.error(
            reason instanceof Error ? reason.message : String(reason)
          );
        }
      };
    app.commands.addCommand(INSERT_SUMMARY, {
      describedBy: MODEL_ARGS,
      label: args => `Keras summary of ${String(args.name ?? 'a model')}`,
      caption: 'Insert and run %keras_summary NAME below the active cell',
      isEnabled: connected,
      execute: insert(summaryLine)
    });
    app.commands.addCommand(INSERT_GRAPH, {
      describedBy: MODEL_ARGS,
      label: args => `Keras graph of ${String(args.name ?? 'a model')}`,
      caption: 'Insert and run %keras_plot NAME below the active cell',
      isEnabled: connected,
      execute: insert(graphLine)
    });

    const commandOf: Record<RowAction, string> = {
      summary: INSERT_SUMMARY,
      graph: INSERT_GRAPH
    };
    const sidebar = new KerasSidebar(kernels, (action, name) => {
      void app.commands.execute(commandOf[action], { name });
    });
    app.shell.add(sidebar, 'left', { rank: 650 });
    restorer?.add(sidebar, sidebar.id);
  }
};
