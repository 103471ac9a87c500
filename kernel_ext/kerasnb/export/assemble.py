"""Put a module together from its blocks, and refuse one that would not work.

The blocks may come from several notebooks, each with the imports its own
cells made. Refused, each in one line that names both places: two blocks
defining one top-level name, a name two notebooks import differently, code
that would not compile, a name nothing defines or imports.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kerasnb.errors import KerasnbError
from kerasnb.export import imports as imp
from kerasnb.export import module_format as fmt
from kerasnb.export.ownership import describe
from kerasnb.export.source import CellCode, ImportBinding


@dataclass(frozen=True)
class Entry:
    """A block of the module with what messages need to know about it."""

    block: fmt.Block
    context: str  # the key of the ImportContext its names come from
    cell: str | None = None  # "a.ipynb cell 3", "" for the magic's own cell, None: kept
    code: CellCode | None = None  # maps module lines back to cell lines

    @property
    def place(self) -> str:
        if self.cell is None:
            return describe(self.block)
        return self.cell or "this cell"


@dataclass(frozen=True)
class ImportContext:
    """Where one notebook's blocks find their imports, lowest priority first."""

    name: str  # for messages: the notebook, or "the other blocks"
    pools: tuple[tuple[ImportBinding, ...], ...]
    specials: tuple[ImportBinding, ...] = ()  # __future__ and star imports to keep


ConflictFix = Callable[[Entry, Entry], str]


def default_fix(first: Entry, second: Entry) -> str:
    return "keep one definition, or export one of them to another module"


def assemble(
    target: str,
    entries: Sequence[Entry],
    contexts: dict[str, ImportContext],
    fix: ConflictFix = default_fix,
) -> str:
    """Render the module of `entries` (in order) with the imports it needs.

    Raises:
        KerasnbError: a conflict, or a module that would not compile or run.
    """
    _refuse_duplicates(target, entries, fix)
    defined = {name for e in entries for name in e.block.names}
    imports, missing = _imports(target, entries, contexts, defined)
    text = fmt.render(fmt.GeneratedModule(imports, tuple(e.block for e in entries)))
    starts = fmt.block_start_lines(text)
    try:
        fmt.compile_check(text, target)
    except fmt.CompileError as err:
        raise KerasnbError(
            f"{_where(err.line, starts, entries, target)}: {err.msg}, so the module would not "
            "compile; change the cell (top-level `await` and `return` only work in a notebook)"
        ) from None
    if missing:
        line = _first_use(text, missing[0])
        raise KerasnbError(
            f"{_where(line, starts, entries, target)}: `{missing[0]}` is not defined in "
            f"{target} and no cell imports it; export the cell that defines it to the "
            "same module, or import it in this cell"
        )
    return text


def _refuse_duplicates(target: str, entries: Sequence[Entry], fix: ConflictFix) -> None:
    first: dict[str, Entry] = {}
    # Cells exported now come first, so that messages start with them.
    for entry in sorted(entries, key=lambda e: e.cell is None):
        for name in entry.block.names:
            other = first.setdefault(name, entry)
            if other is not entry:
                raise KerasnbError(
                    f"{target}: `{name}` is defined by {other.place} and by {entry.place}; "
                    f"{fix(other, entry)}"
                )


def _imports(
    target: str, entries: Sequence[Entry], contexts: dict[str, ImportContext], defined: set[str]
) -> tuple[tuple[ImportBinding, ...], tuple[str, ...]]:
    """Each notebook's imports, merged; a name bound two ways is refused."""
    merged: dict[str, list[ImportBinding]] = {}
    whose: dict[str, str] = {}
    missing: set[str] = set()
    specials: list[ImportBinding] = []
    for key, context in contexts.items():
        bodies = [e.block.body for e in entries if e.context == key]
        if not bodies:
            continue
        needed = imp.needed_names("\n\n".join(bodies)) - defined
        chosen, lacking = imp.gather_imports(needed, context.pools, _dotted(target))
        missing.update(lacking)
        specials.extend(context.specials)
        for name, bindings in chosen.items():
            both = imp.agree(merged[name], bindings) if name in merged else bindings
            if both is None:
                raise KerasnbError(
                    f"{target}: `{name}` is `{imp.statement(bindings)}` in {context.name} but "
                    f"`{imp.statement(merged[name])}` in {whose[name]}; import it the same way "
                    "in both, or use another name in one"
                )
            merged[name] = both
            whose.setdefault(name, context.name)
    specials = list(dict.fromkeys(specials))
    if any(b.name == "*" for b in specials):
        missing.clear()  # a star import may bind anything
    chosen_all = [b for group in merged.values() for b in group]
    return (*specials, *chosen_all), tuple(sorted(missing - set(merged)))


def _where(line: int, starts: list[int], entries: Sequence[Entry], target: str) -> str:
    """Name a module line as the user knows it: a cell line when we can."""
    owner = max((i for i, start in enumerate(starts) if start <= line), default=None)
    if owner is not None and entries[owner].code is not None and entries[owner].cell is not None:
        entry = entries[owner]
        cell_line = entry.code.cell_line(line - starts[owner] + 1)  # type: ignore[union-attr]
        return f"{entry.cell} line {cell_line}" if entry.cell else f"line {cell_line}"
    return f"{target} line {line}"


def _dotted(target: str) -> str:
    return target.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _first_use(text: str, name: str) -> int:
    lines = [
        n.lineno for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name) and n.id == name
    ]
    return min(lines, default=1)
