/**
 * The "Keras" sidebar: every Keras model and layer in the current notebook's
 * kernel, refreshed after each cell while the panel shows.
 *
 * A row shows the variable, its class and its facts (parameters, trainable
 * parameters or "not built", backend, dtype policy); clicking it offers
 * Summary and Graph, which insert and run `%keras_summary NAME` /
 * `%keras_plot NAME` below the active cell. All text goes in as textContent.
 */

import { Widget } from '@lumino/widgets';

import { NOT_LOADED, rowFacts } from './describe';
import { KernelLink } from './link';
import { IModelRow } from './protocol';
import { IKerasnbKernels } from './tokens';
import { kerasIcon } from './icons';

export type RowAction = 'summary' | 'graph';

const ACTIONS: {
  action: RowAction;
  label: string;
  caption: (name: string) => string;
}[] = [
  {
    action: 'summary',
    label: 'Summary',
    caption: name => `Insert and run %keras_summary ${name}`
  },
  {
    action: 'graph',
    label: 'Graph',
    caption: name => `Insert and run %keras_plot ${name}`
  }
];

export class KerasSidebar extends Widget {
  constructor(
    private readonly _kernels: IKerasnbKernels,
    private readonly _act: (action: RowAction, name: string) => void
  ) {
    super();
    this.id = 'kerasnb-sidebar';
    this.addClass('jp-kerasnb-sidebar');
    this.title.icon = kerasIcon;
    this.title.caption = 'Keras models in the kernel';
    const header = document.createElement('header');
    header.className = 'jp-kerasnb-sidebar-header';
    const title = document.createElement('h2');
    title.textContent = 'Keras';
    header.append(title, this._backend);
    this._backend.className = 'jp-kerasnb-sidebar-backend';
    this._notice.className = 'jp-kerasnb-sidebar-notice';
    this._list.className = 'jp-kerasnb-models';
    this._list.setAttribute('role', 'list');
    this.node.append(header, this._notice, this._list);
    _kernels.currentChanged.connect(this._follow, this);
    _kernels.linkChanged.connect((_, link) => {
      if (link === this._link) {
        this._render();
      }
    }, this);
    this._follow();
  }

  handleEvent(event: Event): void {
    const target = event.target as HTMLElement;
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    const item = target.closest<HTMLElement>('.jp-kerasnb-model');
    if (!item || !this._list.contains(item)) {
      return;
    }
    const name = item.dataset.name ?? '';
    if (
      event.type === 'keydown' &&
      ((event as KeyboardEvent).key !== 'Enter' || button)
    ) {
      return; // a focused button's Enter comes back as a click
    }
    if (button) {
      this._act(button.dataset.action as RowAction, name);
    } else {
      this._selected = this._selected === name ? null : name;
      this._render();
    }
  }

  protected onAfterAttach(): void {
    this._list.addEventListener('click', this);
    this._list.addEventListener('keydown', this);
  }

  protected onBeforeDetach(): void {
    this._list.removeEventListener('click', this);
    this._list.removeEventListener('keydown', this);
  }

  protected onAfterShow(): void {
    this._watch();
  }

  protected onAfterHide(): void {
    this._watch();
  }

  /** Point at the current notebook's link; only a showing sidebar asks for models. */
  private _follow(): void {
    const next = this._kernels.current;
    if (next !== this._link) {
      this._link?.watchModels(false);
      this._link = next;
      this._selected = null;
    }
    this._watch();
    this._render();
  }

  private _watch(): void {
    this._link?.watchModels(this.isVisible);
  }

  private _render(): void {
    const link = this._link;
    const state = link?.state;
    this.node.dataset.kerasnbState = state?.kind ?? 'unavailable';
    if (!link || !state || state.kind !== 'connected') {
      this._backend.textContent = '';
      this._say(
        link
          ? `kerasnb is not loaded in this kernel: ${state?.kind === 'unavailable' ? state.reason : NOT_LOADED}.`
          : 'Open a notebook to see its Keras models.'
      );
      this._list.replaceChildren();
      return;
    }
    const { backend, device } = state.status;
    this._backend.textContent = device ? `${backend} · ${device}` : backend;
    const models = link.models ?? [];
    if (!state.status.keras_imported) {
      this._say('Keras is not imported in this kernel yet.');
    } else if (models.length === 0) {
      this._say('No Keras models or layers in the namespace yet.');
    } else {
      this._say('');
    }
    this._list.replaceChildren(...models.map(row => this._item(row)));
  }

  private _say(text: string): void {
    this._notice.textContent = text;
    this._notice.hidden = !text;
  }

  private _item(row: IModelRow): HTMLElement {
    const item = document.createElement('li');
    item.className = 'jp-kerasnb-model';
    item.dataset.name = row.name;
    item.dataset.kind = row.kind;
    item.tabIndex = 0;
    item.setAttribute('role', 'listitem');
    item.title = row.keras_name
      ? `${row.class_name} named "${row.keras_name}"`
      : row.class_name;
    if (row.stale) {
      item.classList.add('jp-mod-stale');
    }
    const selected = row.name === this._selected;
    item.setAttribute('aria-expanded', String(selected));
    item.classList.toggle('jp-mod-selected', selected);

    const head = document.createElement('div');
    head.className = 'jp-kerasnb-model-head';
    const name = document.createElement('span');
    name.className = 'jp-kerasnb-model-name';
    name.textContent = row.name;
    const cls = document.createElement('span');
    cls.className = 'jp-kerasnb-model-class';
    cls.textContent = row.class_name;
    head.append(name, cls);

    const facts = document.createElement('div');
    facts.className = 'jp-kerasnb-model-facts';
    for (const fact of rowFacts(row)) {
      const span = document.createElement('span');
      span.dataset.fact = fact.key;
      span.textContent = fact.text;
      span.title = fact.title;
      facts.append(span);
    }
    item.append(head, facts);

    if (selected) {
      const actions = document.createElement('div');
      actions.className = 'jp-kerasnb-model-actions';
      for (const { action, label, caption } of ACTIONS) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'jp-Button jp-mod-styled jp-mod-accept';
        button.dataset.action = action;
        button.textContent = label;
        button.title = caption(row.name);
        actions.append(button);
      }
      item.append(actions);
    }
    return item;
  }

  private _link: KernelLink | null = null;
  private _selected: string | null = null;
  private _backend = document.createElement('span');
  private _notice = document.createElement('p');
  private _list = document.createElement('ul');
}
