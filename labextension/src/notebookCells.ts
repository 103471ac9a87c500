/**
 * Running code in a notebook the way a user does, so the notebook keeps it:
 * a new cell below the active one, the active cell rewritten, or the active
 * cell's code run through a magic with its output shown as the cell's own.
 */

import { CodeCell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { OutputArea } from '@jupyterlab/outputarea';

/** Insert a code cell below the active one with `source`, and run it. */
export async function insertAndRun(
  panel: NotebookPanel,
  source: string
): Promise<boolean> {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell || cell.model.type !== 'code') {
    return false;
  }
  cell.model.sharedModel.setSource(source);
  return NotebookActions.runCells(notebook, [cell], panel.sessionContext);
}

/** Replace the source of a code cell, then run it. */
export async function rewriteAndRun(
  panel: NotebookPanel,
  cell: CodeCell,
  source: string
): Promise<boolean> {
  cell.model.sharedModel.setSource(source);
  return NotebookActions.runCells(panel.content, [cell], panel.sessionContext);
}

/**
 * Run `code` in place of a cell's own source: its outputs and execution
 * count become the cell's, its source stays as it is.
 */
export async function runInstead(
  panel: NotebookPanel,
  cell: CodeCell,
  code: string
): Promise<void> {
  const model = cell.model;
  model.sharedModel.transact(() => model.clearExecution(), false);
  cell.outputHidden = false;
  model.executionState = 'running';
  try {
    const reply = await OutputArea.execute(
      code,
      cell.outputArea,
      panel.sessionContext,
      {
        cellId: model.sharedModel.getId()
      }
    );
    model.executionCount = reply?.content.execution_count ?? null;
  } finally {
    if (model.executionState === 'running') {
      model.executionState = 'idle';
    }
  }
}
