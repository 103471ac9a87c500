/**
 * The code the cell actions write and run.
 */

import {
  compareCode,
  exportTarget,
  graphLine,
  quoteArg,
  splitArgs,
  summaryLine,
  withExportLine
} from '../cellSource';

describe('summary and graph lines', () => {
  it('name the variable', () => {
    expect(summaryLine('model')).toBe('%keras_summary model');
    expect(graphLine('_enc2')).toBe('%keras_plot _enc2');
  });

  it('refuse anything that is not a variable name', () => {
    expect(() => summaryLine('m; import os')).toThrow(
      '"m; import os" is not a Python variable name'
    );
    expect(() => graphLine('2x')).toThrow('is not a Python variable name');
  });
});

describe('compare', () => {
  it('runs the cell under %%keras_compare', () => {
    expect(compareCode('1 + 1')).toBe('%%keras_compare\n1 + 1');
  });

  it('leaves a cell that already is one', () => {
    const cell = '%%keras_compare --push x\nmodel.fit(x)';
    expect(compareCode(cell)).toBe(cell);
  });

  it('does not mistake a longer magic name for it', () => {
    expect(compareCode('%%keras_compared\n1')).toBe(
      '%%keras_compare\n%%keras_compared\n1'
    );
  });
});

describe('export', () => {
  it('puts the magic line on top', () => {
    expect(withExportLine('def f():\n    return 1\n', 'pkg/models/f.py')).toBe(
      '%%keras_export pkg/models/f.py\ndef f():\n    return 1\n'
    );
  });

  it('replaces the target of an existing line and keeps its options', () => {
    const cell =
      "%%keras_export --root '../my project' --force old/mod.py\nx = 1";
    expect(exportTarget(cell)).toBe('old/mod.py');
    expect(withExportLine(cell, 'new/mod.py')).toBe(
      "%%keras_export --root '../my project' --force new/mod.py\nx = 1"
    );
  });

  it('quotes a path with spaces so the magic reads it back', () => {
    const cell = withExportLine('x = 1', "my pkg/it's.py");
    expect(cell).toBe("%%keras_export 'my pkg/it'\"'\"'s.py'\nx = 1");
    expect(exportTarget(cell)).toBe("my pkg/it's.py");
  });

  it('has no target in a cell without the magic, and refuses an empty path', () => {
    expect(exportTarget('x = 1')).toBeNull();
    expect(() => withExportLine('x = 1', '  ')).toThrow(
      'name the module to write'
    );
  });
});

describe('splitArgs, as shlex (POSIX) splits', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    ["'a\"b'", ['a"b']],
    ['a\\ b', ['a b']],
    ['"x\\"y"', ['x"y']],
    ["''", ['']],
    ['', []]
  ])('%j', (line, words) => {
    expect(splitArgs(line)).toEqual(words);
  });

  it('round-trips quoteArg', () => {
    for (const word of ['plain.py', 'with space', "it's", 'a"b', '$HOME']) {
      expect(splitArgs(quoteArg(word))).toEqual([word]);
    }
  });
});
