/**
 * The page's half of the protocol, on messages shaped as the kernel sends them
 * (messages.json, which tests/test_lab_protocol.py holds to a real kernel's).
 */

import {
  PROTOCOL_VERSION,
  ProtocolError,
  listModelsRequest,
  parseKernelMessage,
  subscribeRequest,
  switchRequest
} from '../protocol';
import messages from './messages.json';

function copy<T>(value: T): any {
  return JSON.parse(JSON.stringify(value));
}

describe('requests', () => {
  it('carry the version, the type and the fields the kernel reads', () => {
    expect(subscribeRequest(true)).toEqual({
      version: 1,
      type: 'subscribe',
      models: true
    });
    expect(switchRequest('r1', 'torch')).toEqual({
      version: 1,
      type: 'switch',
      request_id: 'r1',
      backend: 'torch'
    });
    expect(listModelsRequest('r2')).toEqual({
      version: 1,
      type: 'list_models',
      request_id: 'r2'
    });
    expect(PROTOCOL_VERSION).toBe(1);
  });
});

describe('parseKernelMessage', () => {
  it('reads hello and status', () => {
    expect(parseKernelMessage(messages.hello)).toEqual({ type: 'hello' });
    const parsed = parseKernelMessage(messages.status);
    expect(parsed).toEqual({ type: 'status', status: messages.status.status });
  });

  it('reads models with their reply id, nulls kept', () => {
    const parsed = parseKernelMessage(messages.models);
    expect(parsed).toEqual({
      type: 'models',
      models: messages.models.models,
      replyTo: 'r1'
    });
  });

  it('reads a switch result and an error', () => {
    expect(parseKernelMessage(messages.switched)).toEqual({
      type: 'switched',
      result: messages.switched.result,
      replyTo: 's1'
    });
    expect(parseKernelMessage(messages.error)).toEqual({
      type: 'error',
      message: messages.error.message,
      replyTo: 's2'
    });
  });

  it('reads a push (no reply id) as replyTo null', () => {
    const push = copy(messages.models);
    push.reply_to = null;
    expect(parseKernelMessage(push)).toMatchObject({ replyTo: null });
  });

  it('tells another protocol version to install the same release', () => {
    const newer = { ...copy(messages.status), version: 2 };
    expect(() => parseKernelMessage(newer)).toThrow(ProtocolError);
    expect(() => parseKernelMessage(newer)).toThrow(
      "the kernel's kerasnb speaks protocol 2, this page's extension speaks 1: " +
        "install the same kerasnb release in the kernel's environment and in JupyterLab's"
    );
  });

  it.each([
    ['not an object', [], 'a kerasnb message is a JSON object, got a list'],
    ['null', null, 'a kerasnb message is a JSON object, got null'],
    [
      'an unknown type',
      { version: 1, type: 'execute' },
      'unknown kerasnb message "execute" from the kernel'
    ]
  ])('rejects %s', (_, data, message) => {
    expect(() => parseKernelMessage(data)).toThrow(message);
  });

  it.each([
    [
      'status.backend',
      (m: any) => (m.status.backend = 3),
      'status.backend is a string, got number'
    ],
    [
      'a flag',
      (m: any) => (m.status.keras_imported = 'yes'),
      'status.keras_imported is true or false'
    ],
    [
      'backends',
      (m: any) => (m.status.backends = {}),
      'status.backends is a list, got object'
    ]
  ])('rejects a status with a bad %s', (_, spoil, message) => {
    const bad = copy(messages.status);
    spoil(bad);
    expect(() => parseKernelMessage(bad)).toThrow(message);
  });

  it.each([
    [
      'kind',
      (row: any) => (row.kind = 'tensor'),
      "a model row's kind is model or layer"
    ],
    [
      'count',
      (row: any) => (row.params = -1),
      'row.params is a count, got number'
    ],
    ['fraction', (row: any) => (row.params = 1.5), 'row.params is a count'],
    [
      'name',
      (row: any) => delete row.name,
      'row.name is a string, got undefined'
    ]
  ])('rejects a model row with a bad %s', (_, spoil, message) => {
    const bad = copy(messages.models);
    spoil(bad.models[0]);
    expect(() => parseKernelMessage(bad)).toThrow(message);
  });

  it('rejects a stale entry that is not a pair of strings', () => {
    const bad = copy(messages.switched);
    bad.result.stale = [['mlp', 5]];
    expect(() => parseKernelMessage(bad)).toThrow(
      'a stale description is a string'
    );
  });
});
