"""The imports a generated module needs: which names, from which cells, rendered how.

A module's blocks read names that no block defines; the imports that bind
them come from the cells run before (the latest binding wins, as in the
kernel) and move to the top of the module, isort-like. Blocks of several
notebooks each take their imports from their own notebook; the caller
merges them and refuses a name two notebooks import differently.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterable, Sequence

from kerasnb.export.source import ImportBinding, bindings_of

# Names every module has without defining or importing them.
_MODULE_NAMES = frozenset(dir(builtins)) | {
    "__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
    "__builtins__", "__path__", "__annotations__", "__cached__",
}  # fmt: skip
_LINE_LIMIT = 100


def gather_imports(
    needed: set[str], pools: Sequence[Iterable[ImportBinding]], module: str = ""
) -> tuple[dict[str, list[ImportBinding]], tuple[str, ...]]:
    """Pick the imports of `needed` names from `pools`, lowest priority first.

    Returns each needed name's bindings and the names no pool binds.
    `__future__` and star imports are not picked here: see `specials`.
    Imports from `module` itself (a notebook that uses what another one
    exported there) are left out: the module would import itself.
    """
    chosen: dict[str, list[ImportBinding]] = {}
    for pool in pools:
        for binding in pool:
            if binding.module == module:
                continue
            if not is_special(binding) and binding.bound in needed:
                chosen[binding.bound] = _merge(chosen.get(binding.bound, []), binding)
    return chosen, tuple(sorted(needed - set(chosen)))


def is_special(binding: ImportBinding) -> bool:
    """`__future__` and star imports: nothing says whether a block needs them,
    so they come only from the cells exported (or the module, for kept blocks)."""
    return binding.is_future or binding.name == "*"


def specials(bindings: Iterable[ImportBinding]) -> tuple[ImportBinding, ...]:
    return tuple(dict.fromkeys(b for b in bindings if is_special(b)))


def agree(first: list[ImportBinding], second: list[ImportBinding]) -> list[ImportBinding] | None:
    """Both notebooks' bindings of one name together, or None if they differ."""
    if set(first) == set(second):
        return first
    if all(_plain(b) for b in (*first, *second)):  # `import os` and `import os.path`
        return list(dict.fromkeys((*first, *second)))
    return None


def statement(bindings: Iterable[ImportBinding]) -> str:
    """How the user wrote a name's import(s), for messages."""
    return "; ".join(_render_imports([b]) for b in bindings)


def _merge(current: list[ImportBinding], new: ImportBinding) -> list[ImportBinding]:
    """`import os` and `import os.path` agree on `os`; anything else: last wins."""
    if _plain(new) and all(_plain(b) for b in current):
        return current if new in current else [*current, new]
    return [new]


def _plain(binding: ImportBinding) -> bool:
    return binding.name is None and binding.asname is None


def needed_names(code: str) -> set[str]:
    """Global names `code` reads but neither defines nor gets from builtins.

    Code that does not compile needs nothing here: the compile check that
    follows reports it with its line.
    """
    try:
        table = symtable.symtable(code, "<module>", "exec")
    except SyntaxError:
        return set()
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()
    stack = [table]
    while stack:
        scope = stack.pop()
        for sym in scope.get_symbols():
            top = scope.get_type() == "module"
            if sym.is_referenced() and (top or sym.is_global()):
                read.add(sym.get_name())
            if not top and sym.is_declared_global() and sym.is_assigned():
                bound.add(sym.get_name())
        stack.extend(scope.get_children())
    return read - bound - _MODULE_NAMES


def preamble_imports(preamble: str) -> tuple[ImportBinding, ...]:
    """The imports at the top of a generated module (nothing if it does not parse)."""
    try:
        tree = ast.parse(preamble)
    except SyntaxError:
        return ()
    nodes = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return tuple(b for node in nodes for b in bindings_of(node))


def render_imports(imports: Iterable[ImportBinding]) -> str:
    """isort-like: `__future__`, then `import x`, then `from x import a, b`."""
    return _render_imports(list(imports))


def _render_imports(imports: list[ImportBinding]) -> str:
    future = sorted({b.name or "" for b in imports if b.is_future})
    plain = sorted({_alias(b.module, b.asname) for b in imports if b.name is None})
    froms: dict[str, set[str]] = {}
    for b in imports:
        if b.name is not None and not b.is_future:
            froms.setdefault(b.module, set()).add(_alias(b.name, b.asname))
    sections = []
    if future:
        sections.append(_from_line("__future__", future))
    statements = [f"import {p}" for p in plain]
    statements += [_from_line(m, sorted(froms[m])) for m in sorted(froms, key=_module_order)]
    if statements:
        sections.append("\n".join(statements))
    return "\n\n".join(sections)


def _module_order(module: str) -> tuple[bool, str]:
    return module.startswith("."), module


def _alias(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def _from_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= _LINE_LIMIT:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
