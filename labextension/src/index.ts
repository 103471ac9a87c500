/**
 * kerasnb's JupyterLab plugins, one per concern, around one shared service:
 *
 *   kerasnb:kernels        each notebook's comm to kerasnb in its kernel (IKerasnbKernels)
 *   kerasnb:status         the status bar item "Keras: jax · cpu"
 *   kerasnb:switcher       the backend switcher: toolbar, menu, palette
 *   kerasnb:sidebar        the "Keras" sidebar of models, with Summary and Graph
 *   kerasnb:cell-commands  compare a cell on all backends, export it to a module
 *
 * The same plugins load in Jupyter Notebook 7; what it lacks (the status bar)
 * is optional, so they degrade quietly there.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { cellCommandsPlugin } from './cellCommands';
import { kernelsPlugin } from './kernels';
import { sidebarPlugin } from './sidebarPlugin';
import { statusPlugin } from './status';
import { switcherPlugin } from './switcher';

export { IKerasnbKernels } from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  kernelsPlugin,
  statusPlugin,
  switcherPlugin,
  sidebarPlugin,
  cellCommandsPlugin
];

export default plugins;
