/**
 * The words the plugins show, from the protocol's data: one place, unit tested.
 */

import {
  IBackendChoice,
  IKernelStatus,
  IModelRow,
  ISwitchResult,
  KNOWN_BACKENDS,
  LinkState
} from './protocol';

/** Why a page without kerasnb in its kernel shows the disabled state. */
export const NOT_LOADED = 'run %load_ext kerasnb';

/** Notifications are cut at 140 characters; name at most this many variables. */
const MAX_NAMED = 3;

/** The status bar's text: "Keras: jax · cpu", "Keras: jax", "Keras: not loaded". */
export function statusText(state: LinkState): string {
  if (state.kind !== 'connected') {
    return 'Keras: not loaded';
  }
  const { backend, device } = state.status;
  return device ? `Keras: ${backend} · ${device}` : `Keras: ${backend}`;
}

/** The status bar's tooltip: versions and where the backend comes from, or the reason. */
export function statusTitle(state: LinkState): string {
  if (state.kind !== 'connected') {
    return `kerasnb is not loaded in this kernel: ${state.reason}`;
  }
  const status = state.status;
  const keras = status.keras_version
    ? `Keras ${status.keras_version}`
    : 'Keras';
  if (status.keras_imported) {
    const device = status.device ? ` on ${status.device}` : '';
    return `${keras} runs on ${labelOf(status, status.backend)}${device}. Click to switch.`;
  }
  return (
    `Keras is not imported yet: the next \`import keras\` uses ` +
    `${labelOf(status, status.backend)} (${status.source}). Click to choose.`
  );
}

/** A backend's human name ("PyTorch"), from the kernel's list or the known ones. */
export function labelOf(status: IKernelStatus | null, name: string): string {
  return choiceOf(status, name)?.label ?? name;
}

export function choiceOf(
  status: IKernelStatus | null,
  name: string
): IBackendChoice | undefined {
  const choices = status?.backends ?? KNOWN_BACKENDS;
  return choices.find(entry => entry.name === name);
}

/** The switcher's line for one backend. */
export function choiceCaption(
  status: IKernelStatus | null,
  name: string
): string {
  const entry = choiceOf(status, name);
  if (!status) {
    return `${NOT_LOADED} first`;
  }
  if (!entry || !entry.installed) {
    const command = entry?.install_command ?? `%pip install ${name}`;
    return `not installed in the kernel's environment: ${command}, then restart the kernel`;
  }
  if (entry.name === status.backend) {
    return status.keras_imported
      ? 'the backend Keras runs on'
      : 'the backend the next `import keras` uses';
  }
  return status.keras_imported
    ? 'switch in place (variables holding old-backend objects are named)'
    : 'use for the next `import keras`';
}

export type NoticeType = 'success' | 'info' | 'warning';

/** What a notification says after a switch. */
export function describeSwitch(
  result: ISwitchResult,
  status: IKernelStatus | null
): { type: NoticeType; message: string } {
  const current = labelOf(status, result.current);
  if (result.from_environment) {
    return {
      type: 'info',
      message: `KERAS_BACKEND in the kernel's environment chose ${current}.`
    };
  }
  if (!result.in_place) {
    return {
      type: 'success',
      message: `The next \`import keras\` uses ${current}.`
    };
  }
  if (result.previous === result.current) {
    return { type: 'info', message: `Keras already runs on ${current}.` };
  }
  if (result.stale.length === 0) {
    return { type: 'success', message: `Keras now runs on ${current}.` };
  }
  const names = result.stale.slice(0, MAX_NAMED).map(([name]) => name);
  const more = result.stale.length - names.length;
  const listed = names.join(', ') + (more > 0 ? ` and ${more} more` : '');
  return {
    type: 'warning',
    message:
      `Keras now runs on ${current}; still on ${labelOf(status, result.previous)}: ` +
      `${listed}. Re-run the cells that made them.`
  };
}

/** 1234567 -> "1,234,567"; null (not built) -> "–". */
export function formatCount(count: number | null): string {
  return count === null ? '–' : count.toLocaleString('en-US');
}

/** The facts of a sidebar row, in the order shown, each with its own tooltip. */
export function rowFacts(
  row: IModelRow
): { key: string; text: string; title: string }[] {
  const params = row.built
    ? {
        key: 'params',
        text: `${formatCount(row.params)} params`,
        title: `${formatCount(row.trainable_params)} trainable`
      }
    : {
        key: 'params',
        text: 'not built',
        title: 'built at its first call or build()'
      };
  const facts = [params];
  if (row.built) {
    facts.push({
      key: 'trainable',
      text: `${formatCount(row.trainable_params)} trainable`,
      title: 'trainable parameters'
    });
  }
  facts.push({
    key: 'backend',
    text: row.backend ?? '?',
    title: row.stale
      ? 'built on a backend the kernel no longer runs: re-run its cell'
      : 'the backend it was built on'
  });
  if (row.dtype_policy) {
    facts.push({ key: 'dtype', text: row.dtype_policy, title: 'dtype policy' });
  }
  return facts;
}
