/**
 * The code the cell actions run or write: magic lines, built and read as text.
 *
 * Pure functions (no JupyterLab imports), unit tested. Arguments are quoted
 * the way IPython's magic parser (shlex, POSIX) reads them back.
 */

const EXPORT_MAGIC = '%%keras_export';
const COMPARE_MAGIC = '%%keras_compare';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_ARG = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** `%keras_summary NAME`, for a name the kernel listed. */
export function summaryLine(name: string): string {
  return `%keras_summary ${checkedName(name)}`;
}

/** `%keras_plot NAME`. */
export function graphLine(name: string): string {
  return `%keras_plot ${checkedName(name)}`;
}

function checkedName(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`${JSON.stringify(name)} is not a Python variable name`);
  }
  return name;
}

/** The cell's code as `%%keras_compare` runs it (unchanged if it already is one). */
export function compareCode(source: string): string {
  return firstLineIs(source, COMPARE_MAGIC)
    ? source
    : `${COMPARE_MAGIC}\n${source}`;
}

/** The module a `%%keras_export` first line names, or null. */
export function exportTarget(source: string): string | null {
  if (!firstLineIs(source, EXPORT_MAGIC)) {
    return null;
  }
  return exportArgs(firstLine(source)).target;
}

/**
 * The cell with `%%keras_export PATH` as its first line: an existing export
 * line gets the new target and keeps its options (--root, --force).
 */
export function withExportLine(source: string, path: string): string {
  const target = path.trim();
  if (!target) {
    throw new Error('name the module to write, e.g. mypkg/models/mlp.py');
  }
  if (!firstLineIs(source, EXPORT_MAGIC)) {
    return `${EXPORT_MAGIC} ${quoteArg(target)}\n${source}`;
  }
  const { options } = exportArgs(firstLine(source));
  const line = [EXPORT_MAGIC, ...options.map(quoteArg), quoteArg(target)].join(
    ' '
  );
  const rest = source.slice(firstLine(source).length);
  return line + rest;
}

function exportArgs(line: string): {
  target: string | null;
  options: string[];
} {
  const words = splitArgs(line.slice(EXPORT_MAGIC.length));
  const options: string[] = [];
  let target: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--root' && i + 1 < words.length) {
      options.push(word, words[++i]);
    } else if (word.startsWith('-')) {
      options.push(word);
    } else {
      target = word;
    }
  }
  return { target, options };
}

function firstLine(source: string): string {
  const end = source.indexOf('\n');
  return end < 0 ? source : source.slice(0, end);
}

function firstLineIs(source: string, magic: string): boolean {
  const line = firstLine(source).trimStart();
  return (
    line === magic ||
    line.startsWith(magic + ' ') ||
    line.startsWith(magic + '\t')
  );
}

/** One argument, quoted for a POSIX shell-like parser when it needs it. */
export function quoteArg(arg: string): string {
  if (SAFE_ARG.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, "'\"'\"'")}'`;
}

/** Split a line into words as shlex (POSIX) does: quotes and backslashes. */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote === "'") {
      if (char === "'") {
        quote = null;
      } else {
        word += char;
      }
    } else if (quote === '"') {
      if (char === '"') {
        quote = null;
      } else if (
        char === '\\' &&
        i + 1 < line.length &&
        '"\\$`'.includes(line[i + 1])
      ) {
        word += line[++i];
      } else {
        word += char;
      }
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) {
        words.push(word);
      }
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}
