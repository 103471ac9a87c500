/**
 * The words the plugins show, from the protocol's data.
 */

import {
  NOT_LOADED,
  choiceCaption,
  describeSwitch,
  formatCount,
  labelOf,
  rowFacts,
  statusText,
  statusTitle
} from '../describe';
import {
  IKernelStatus,
  IModelRow,
  ISwitchResult,
  LinkState
} from '../protocol';
import messages from './messages.json';

const status = messages.status.status as IKernelStatus;
const connected: LinkState = { kind: 'connected', status };
const [mlp, head] = messages.models.models as IModelRow[];
const switched = messages.switched.result as ISwitchResult;

describe('the status bar', () => {
  it('shows the backend and the device once Keras is imported', () => {
    expect(statusText(connected)).toBe('Keras: jax · cpu');
    expect(statusTitle(connected)).toBe(
      'Keras 3.15.1 runs on JAX on cpu. Click to switch.'
    );
  });

  it('shows the backend alone before import, and says where it comes from', () => {
    const before: LinkState = {
      kind: 'connected',
      status: {
        ...status,
        keras_imported: false,
        device: null,
        source: 'KERAS_BACKEND environment variable'
      }
    };
    expect(statusText(before)).toBe('Keras: jax');
    expect(statusTitle(before)).toBe(
      'Keras is not imported yet: the next `import keras` uses JAX ' +
        '(KERAS_BACKEND environment variable). Click to choose.'
    );
  });

  it('says "not loaded" with the reason', () => {
    const state: LinkState = { kind: 'unavailable', reason: NOT_LOADED };
    expect(statusText(state)).toBe('Keras: not loaded');
    expect(statusTitle(state)).toBe(
      'kerasnb is not loaded in this kernel: run %load_ext kerasnb'
    );
  });
});

describe('the switcher', () => {
  it('labels backends from the kernel, or from the known three', () => {
    expect(labelOf(status, 'torch')).toBe('PyTorch');
    expect(labelOf(null, 'tensorflow')).toBe('TensorFlow');
    expect(labelOf(status, 'numpy')).toBe('numpy');
  });

  it('gives a missing backend its install command', () => {
    expect(choiceCaption(status, 'tensorflow')).toBe(
      "not installed in the kernel's environment: %pip install tensorflow, then restart the kernel"
    );
    expect(choiceCaption(status, 'jax')).toBe('the backend Keras runs on');
    expect(choiceCaption(status, 'torch')).toMatch(/^switch in place/);
    expect(choiceCaption(null, 'jax')).toBe('run %load_ext kerasnb first');
  });

  it('names the variables still on the old backend after a switch in place', () => {
    expect(describeSwitch(switched, status)).toEqual({
      type: 'warning',
      message:
        'Keras now runs on PyTorch; still on JAX: mlp, head. Re-run the cells that made them.'
    });
  });

  it('names three variables at most, so the notification is not cut', () => {
    const many = {
      ...switched,
      stale: ['a', 'b', 'c', 'd', 'e'].map(
        n => [n, 'Dense (keras)'] as [string, string]
      )
    };
    const { message } = describeSwitch(many, status);
    expect(message).toContain('still on JAX: a, b, c and 2 more.');
    expect(message.length).toBeLessThanOrEqual(140);
  });

  it.each([
    [{ in_place: false }, 'success', 'The next `import keras` uses PyTorch.'],
    [{ stale: [] }, 'success', 'Keras now runs on PyTorch.'],
    [{ previous: 'torch' }, 'info', 'Keras already runs on PyTorch.'],
    [
      { from_environment: true, default: 'jax' },
      'info',
      "KERAS_BACKEND in the kernel's environment chose PyTorch."
    ]
  ])('describes %j', (change, type, message) => {
    expect(describeSwitch({ ...switched, ...change }, status)).toEqual({
      type,
      message
    });
  });
});

describe('the sidebar', () => {
  it('counts with separators, and a dash before build', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(null)).toBe('–');
  });

  it("lists a built model's facts in order", () => {
    expect(rowFacts(mlp).map(f => [f.key, f.text])).toEqual([
      ['params', '49 params'],
      ['trainable', '9 trainable'],
      ['backend', 'jax'],
      ['dtype', 'float32']
    ]);
  });

  it('says "not built" for a layer that is not', () => {
    expect(rowFacts(head).map(f => f.text)).toEqual([
      'not built',
      'jax',
      'float32'
    ]);
  });

  it('explains a stale backend', () => {
    const facts = rowFacts({ ...mlp, stale: true });
    expect(facts.find(f => f.key === 'backend')?.title).toMatch(
      /re-run its cell/
    );
  });
});
