/**
 * The service the other kerasnb plugins share: each notebook's KernelLink.
 */

import { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import { KernelLink } from './link';

export interface IKerasnbKernels {
  /** The link of the current notebook (the one the notebook tracker follows). */
  readonly current: KernelLink | null;
  readonly currentPanel: NotebookPanel | null;
  /** Emitted when the current notebook changes. */
  readonly currentChanged: ISignal<IKerasnbKernels, KernelLink | null>;
  /** Emitted when any link's state or model list changes. */
  readonly linkChanged: ISignal<IKerasnbKernels, KernelLink>;
  /** The link of a notebook panel, or null for a panel the tracker does not know. */
  linkFor(panel: NotebookPanel): KernelLink | null;
  /** The panel with this id (as commands receive it in their arguments). */
  panelById(id: string): NotebookPanel | null;
}

export const IKerasnbKernels = new Token<IKerasnbKernels>(
  'kerasnb:IKerasnbKernels',
  "Each notebook's link to kerasnb in its kernel: state, status, models, requests."
);
