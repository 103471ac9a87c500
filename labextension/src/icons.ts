/**
 * kerasnb's icons, themed like JupyterLab's own (the jp-icon3 class takes the theme's color).
 */

import { LabIcon } from '@jupyterlab/ui-components';

export const kerasIcon = new LabIcon({
  name: 'kerasnb:keras',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<path class="jp-icon3" fill="#616161" fill-rule="evenodd" d="M2.5 1h11A1.5 1.5 0 0 1 15 ' +
    '2.5v11a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 1 13.5v-11A1.5 1.5 0 0 1 2.5 1zM4.5 3v10h' +
    '1.9V9.4l1.2-1.3L10.4 13h2.2L8.9 6.8 12.4 3h-2.3L6.4 7.1V3z"/></svg>'
});

export const compareIcon = new LabIcon({
  name: 'kerasnb:compare',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<g class="jp-icon3" fill="#616161"><rect x="1" y="2" width="4" height="12" rx="1"/>' +
    '<rect x="6" y="2" width="4" height="12" rx="1"/><rect x="11" y="2" width="4" ' +
    'height="12" rx="1"/></g></svg>'
});

export const exportIcon = new LabIcon({
  name: 'kerasnb:export',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<path class="jp-icon3" fill="#616161" d="M3 2h6l4 4v3h-1.5V7H8V3.5H4.5v9H9V14H3z' +
    'M10 10h2.5V8l3 3-3 3v-2H10z"/></svg>'
});
