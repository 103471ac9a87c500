"""What an exported cell contributes to a module: code, imports and names.

A notebook cell is almost Python: it may hold magics and shell escapes, and it
imports what it needs at its top. Here it becomes plain data (`CellCode`) that
the module writer can merge without looking at the notebook again. Line
numbers stay those of the cell, because that is where the user fixes things.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kerasnb.errors import KerasnbError

MARKER_PREFIX = "# %% kerasnb cell "
_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# `x = !ls`, `files = %sx ls`: IPython assignments from magics or the shell.
_MAGIC_ASSIGNMENT = re.compile(r"^[\w\s,.\[\]()]+=\s*[%!]")


@dataclass(frozen=True)
class ImportBinding:
    """One name bound by an import statement, in a form that renders back.

    `import a.b` binds `a` (module "a.b", name None); `from m import x as y`
    binds `y`; `name == "*"` is a star import, which binds names unknowably.
    """

    module: str  # dotted, with leading dots for relative imports
    name: str | None  # None for `import module`
    asname: str | None

    @property
    def bound(self) -> str:
        if self.asname:
            return self.asname
        if self.name is None:
            return self.module.split(".")[0]
        return self.name

    @property
    def is_future(self) -> bool:
        return self.module == "__future__"


@dataclass(frozen=True)
class CellCode:
    """A cell as a module block: its code, the imports it moves to the top,
    and the top-level names it defines (for `__all__` and block matching)."""

    body: str
    line_numbers: tuple[int, ...]  # the cell line of each body line
    imports: tuple[ImportBinding, ...]
    names: tuple[str, ...]

    def cell_line(self, body_line: int) -> int:
        """Cell line for a 1-based line of `body` (clamped to the body)."""
        if not self.line_numbers:
            return 1
        index = min(max(body_line, 1), len(self.line_numbers)) - 1
        return self.line_numbers[index]


def parse_cell(source: str) -> CellCode:
    """Turn a cell's source into a module block.

    Magics, shell escapes and `obj?` help lines are dropped: they only mean
    something inside IPython. Top-level imports move to the module header.

    Raises:
        KerasnbError: the cell is not Python apart from magics (with its line).
    """
    numbered, tree = _python_lines(source)
    import_lines, imports = _top_level_imports(tree)
    kept = [(n, text) for i, (n, text) in enumerate(numbered, 1) if i not in import_lines]
    while kept and not kept[0][1].strip():
        kept.pop(0)
    while kept and not kept[-1][1].strip():
        kept.pop()
    for number, text in kept:
        if text.startswith(MARKER_PREFIX.rstrip()):
            raise KerasnbError(
                f"line {number} looks like a kerasnb block marker; "
                "change that comment so the module can be re-exported"
            )
    body = "\n".join(text for _, text in kept)
    return CellCode(
        body=body,
        line_numbers=tuple(n for n, _ in kept),
        imports=imports,
        names=defined_names(tree, skip_lines=import_lines),
    )


def cell_imports(source: str) -> tuple[ImportBinding, ...]:
    """The top-level imports of another cell, or none if it is not Python.

    Cells run before an exported cell lend it their imports; a cell that
    does not parse (a `%%bash` cell, a typo) simply lends nothing.
    """
    if source.lstrip().startswith("%%") and not source.lstrip().startswith("%%keras_export"):
        return ()
    try:
        _, tree = _python_lines(source)
    except KerasnbError:
        return ()
    return _top_level_imports(tree)[1]


def block_key(cell_id: str | None, target: str, code: CellCode) -> str:
    """The marker key of a block: the frontend's cell id when it sent one.

    Without one (nbclient, nbval, plain IPython) the key is derived from the
    target and the names the cell defines, so running an edited cell again
    finds its block; a cell that defines nothing is keyed by its code.
    """
    if cell_id and _CELL_ID.match(cell_id):
        return cell_id
    basis = ",".join(sorted(code.names)) if code.names else code.body
    digest = hashlib.sha256(f"{target}\0{basis}".encode()).hexdigest()[:10]
    return f"auto-{digest}"


def is_auto_key(key: str) -> bool:
    return key.startswith("auto-")


def defined_names(tree: ast.Module, skip_lines: Iterable[int] = ()) -> tuple[str, ...]:
    """Top-level names a module body defines, in order (imports excluded)."""
    skip = set(skip_lines)
    names: list[str] = []
    for node in tree.body:
        if node.lineno in skip or isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.extend(_target_names(target))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            names.extend(_target_names(node.target))
    return tuple(dict.fromkeys(names))


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _python_lines(source: str) -> tuple[list[tuple[int, str]], ast.Module]:
    """Drop IPython-only lines until the rest parses; keep cell line numbers."""
    numbered = list(enumerate(source.splitlines(), 1))
    first = next((i for i, (_, text) in enumerate(numbered) if text.strip()), None)
    if first is not None and numbered[first][1].lstrip().startswith("%%"):
        del numbered[first]
    for _ in range(len(numbered) + 1):
        try:
            return numbered, ast.parse("\n".join(text for _, text in numbered))
        except SyntaxError as err:
            error = err
        _drop_or_refuse(numbered, error)
    raise AssertionError("unreachable: every pass drops a line")  # pragma: no cover


def _drop_or_refuse(numbered: list[tuple[int, str]], err: SyntaxError) -> None:
    """Drop the IPython line that broke parsing, or explain the real error."""
    index = min(max(err.lineno or 1, 1), max(len(numbered), 1)) - 1
    if not numbered or not _is_ipython_line(numbered[index][1]):
        line = numbered[index][0] if numbered else 1
        raise KerasnbError(
            f"line {line}: {err.msg}; fix the cell so it is valid Python "
            "(magics and shell escapes are fine, they are not exported)"
        )
    if numbered[index][1][:1].isspace():
        raise KerasnbError(
            f"line {numbered[index][0]}: a magic or shell escape inside a block "
            "cannot be exported; move it out of the block or write it in Python"
        )
    _drop_ipython_line(numbered, index)


def _is_ipython_line(text: str) -> bool:
    stripped = text.strip()
    return (
        stripped.startswith(("%", "!", "?"))
        or bool(_MAGIC_ASSIGNMENT.match(stripped))
        or (stripped.endswith("?") and stripped[:1].isidentifier())
    )


def _drop_ipython_line(numbered: list[tuple[int, str]], index: int) -> None:
    """Remove a magic line and the lines it continues onto with `\\`."""
    end = index
    while end < len(numbered) - 1 and numbered[end][1].rstrip().endswith("\\"):
        end += 1
    del numbered[index : end + 1]


def _top_level_imports(tree: ast.Module) -> tuple[set[int], tuple[ImportBinding, ...]]:
    """Imports that can move to the header, and the body lines they free.

    An import sharing a line with another statement (`import os; x = 1`)
    stays where it is: moving half a line would change the code.
    """
    shared = _lines_with_several_statements(tree)
    lines: set[int] = set()
    bindings: list[ImportBinding] = []
    for node in tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        span = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if span & shared:
            continue
        lines |= span
        bindings.extend(bindings_of(node))
    return lines, tuple(bindings)


def _lines_with_several_statements(tree: ast.Module) -> set[int]:
    seen: dict[int, int] = {}
    for node in tree.body:
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            seen[line] = seen.get(line, 0) + 1
    return {line for line, count in seen.items() if count > 1}


def bindings_of(node: ast.Import | ast.ImportFrom) -> list[ImportBinding]:
    if isinstance(node, ast.Import):
        return [ImportBinding(alias.name, None, alias.asname) for alias in node.names]
    module = "." * node.level + (node.module or "")
    return [ImportBinding(module, alias.name, alias.asname) for alias in node.names]
