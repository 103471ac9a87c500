"""Export every `%%keras_export` cell of a saved notebook: the headless path.

`kerasnb export NOTEBOOK --to DIR` rebuilds each target module from the
notebook alone, in cell order, exactly as running the notebook top to bottom
would; `--check` compares instead of writing, which is how CI notices that a
package drifted from its notebook.

Cells tagged `raises-exception` (the tag nbval and nbclient use for cells
meant to fail) are skipped: running the notebook exports nothing from them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.export import magic_line, paths
from kerasnb.export import module_format as fmt
from kerasnb.export.cell import (
    ExportPlan,
    ExportResult,
    assemble,
    refuse_unless_forced,
    source_label,
)
from kerasnb.export.cell import write as write_plan
from kerasnb.export.source import CellCode, block_key, cell_imports, parse_cell

MAGIC = magic_line.MAGIC
_EXPECTED_TO_FAIL = "raises-exception"


@dataclass(frozen=True)
class ModuleStatus:
    """One target module after an export or a check."""

    target: str
    state: str  # written, unchanged, in sync, or why it is out of sync
    cells: int
    backup: str | None = None  # where a forced export kept the previous file

    def __str__(self) -> str:
        kept = f"; the previous file is kept as {self.backup}" if self.backup else ""
        return f"{self.target}: {self.state} ({_cells(self.cells)}{kept})"

    @property
    def ok(self) -> bool:
        return self.state in ("written", "unchanged", "in sync")


@dataclass(frozen=True)
class NotebookExport:
    """The outcome of `export_notebook`, one line per module when printed."""

    notebook: str
    check: bool
    modules: tuple[ModuleStatus, ...]

    @property
    def in_sync(self) -> bool:
        return all(m.ok for m in self.modules)

    def __str__(self) -> str:
        if not self.modules:
            return f"{self.notebook} has no {MAGIC} cells; nothing to export."
        lines = [str(m) for m in self.modules]
        if self.check and not self.in_sync:
            lines.append(
                f"The package is out of sync with {self.notebook}; "
                "run the same command without --check to export it again."
            )
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclass(frozen=True)
class _MarkedCell:
    number: int  # 1-based, counting every cell as the notebook shows them
    cell_id: str | None
    target: str
    code: CellCode


def export_notebook(
    notebook: str | os.PathLike[str],
    to: str | os.PathLike[str] = ".",
    *,
    check: bool = False,
    force: bool = False,
) -> NotebookExport:
    """Export the `%%keras_export` cells of a saved notebook into package `to`.

    Args:
        notebook: the .ipynb file.
        to: the package root; cells' own `--root` options are ignored.
        check: compare with the files instead of writing them.
        force: replace files kerasnb did not write or that were edited by
            hand (each is backed up first).

    Returns:
        One status per target module; `in_sync` is False when a check found
        a difference.

    Raises:
        KerasnbError: the notebook cannot be read, a cell is not valid, or a
            file would be overwritten without `force`.
    """
    root = paths.check_root(to)
    name = Path(notebook).name
    cells = _read_cells(notebook)
    label = source_label(notebook, root) or fmt.UNNAMED_SOURCE
    groups: dict[str, list[_MarkedCell]] = {}
    for cell in _marked_cells(cells, name):
        groups.setdefault(cell.target, []).append(cell)
    plans = []
    for target, group in groups.items():
        earlier = [source for number, _, source in cells if number <= group[-1].number]
        plan = _plan_module(root, target, group, earlier, label, name)
        if not check:
            refuse_unless_forced(fmt.classify(plan.old_text), target, force)
        plans.append((plan, len(group)))
    statuses = [_finish(plan, count, check) for plan, count in plans]
    return NotebookExport(name, check, tuple(statuses))


def _read_cells(notebook: str | os.PathLike[str]) -> list[tuple[int, str | None, str]]:
    """(number, id, source) of each code cell that is meant to run without error."""
    import nbformat

    where = os.fspath(notebook)
    try:
        nb = nbformat.read(where, as_version=4)
    except FileNotFoundError:
        raise KerasnbError(f"notebook {where!r} does not exist; check the path") from None
    except Exception as err:  # nbformat raises many kinds for a broken file
        raise KerasnbError(
            f"cannot read {where!r} as a notebook ({type(err).__name__}); "
            "pass a .ipynb file saved by Jupyter"
        ) from None
    return [
        (number, cell.get("id"), cell.source)
        for number, cell in enumerate(nb.cells, 1)
        if cell.cell_type == "code" and _EXPECTED_TO_FAIL not in cell.metadata.get("tags", ())
    ]


def _marked_cells(cells: list[tuple[int, str | None, str]], name: str) -> Iterator[_MarkedCell]:
    for number, cell_id, source in cells:
        first = source.lstrip().split("\n", 1)[0]
        if not (first == MAGIC or first.startswith(MAGIC + " ")):
            continue
        where = f"{name} cell {number}"
        try:
            args = magic_line.parse(first[len(MAGIC) :])
            if "{" in args.target or "$" in args.target:
                raise KerasnbError(
                    f"target {args.target!r} uses a notebook variable, which `kerasnb export` "
                    "cannot expand; write the module path literally and put the folder in --root"
                )
            target = paths.normalize_target(args.target)
            code = parse_cell(source)
        except KerasnbError as err:
            raise KerasnbError(f"{where}: {err}") from None
        yield _MarkedCell(number, cell_id, target, code)


def _plan_module(
    root: Path, target: str, group: list[_MarkedCell], earlier: list[str], label: str, name: str
) -> ExportPlan:
    """The module as running the notebook's cells in order would leave it."""
    path = paths.resolve_target(root, target)
    module = fmt.GeneratedModule(label, (), ())
    codes: dict[str, tuple[str, CellCode]] = {}
    for cell in group:
        key = block_key(cell.cell_id, target, cell.code)
        module, _ = fmt.with_block(module, fmt.Block(key, cell.code.body))
        codes[key] = (f"{name} cell {cell.number} ", cell.code)
    own = [binding for cell in group for binding in cell.code.imports]
    pools = [(), *(cell_imports(source) for source in earlier), own]
    text = assemble(module, pools, target, codes)
    old_text = paths.read_text(path)
    state = fmt.classify(old_text)
    names = tuple(dict.fromkeys(n for cell in group for n in cell.code.names))
    action = "unchanged" if text == old_text else "written"
    result = ExportResult(target, action, names, key="")
    needs_backup = state in (fmt.ExistingFile.FOREIGN, fmt.ExistingFile.EDITED)
    return ExportPlan(root, path, text, old_text, result, needs_backup)


def _finish(plan: ExportPlan, count: int, check: bool) -> ModuleStatus:
    target = plan.result.target
    if check:
        return ModuleStatus(target, _difference(plan), count)
    result = write_plan(plan)
    return ModuleStatus(target, result.action, count, result.backup)


def _difference(plan: ExportPlan) -> str:
    if plan.text == plan.old_text:
        return "in sync"
    state = fmt.classify(plan.old_text)
    if state == fmt.ExistingFile.GENERATED:
        return "differs from the notebook"
    return state.value


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"
