"""Export notebook cells into a real Python module: `kerasnb.export_cell`.

Export is planned first and written last, so that a refusal (bad target,
a hand-edited file, code that would not compile) leaves everything as it
was, and so that `%%keras_export` can run the cell between the two steps.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.export import module_format as fmt
from kerasnb.export import paths
from kerasnb.export.source import CellCode, ImportBinding, block_key, cell_imports, parse_cell


@dataclass(frozen=True)
class ExportResult:
    """What one export did, for people (its repr) and for code (its fields)."""

    target: str  # relative to the root, posix
    action: str  # "created", "added", "replaced" or "unchanged"
    names: tuple[str, ...]
    key: str
    backup: str | None = None  # relative to the root

    @property
    def module(self) -> str:
        return self.target[: -len(".py")].replace("/", ".")

    def __str__(self) -> str:
        what = ", ".join(self.names) or "the cell's code"
        done = {
            "created": f"Exported {what} into the new module {self.target}.",
            "added": f"Exported {what} into {self.target} (new block).",
            "replaced": f"Re-exported {what} into {self.target} (replaced its block).",
            "unchanged": f"{self.target} already holds this cell's code; nothing to write.",
        }[self.action]
        public = [n for n in self.names if not n.startswith("_")]
        if public and self.action != "unchanged":
            done += f" Import it with `from {self.module} import {', '.join(public)}`."
        if self.backup:
            done += f" The previous file is kept as {self.backup}."
        return done

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclass(frozen=True)
class ExportPlan:
    """A checked export, ready to write."""

    root: Path
    path: Path
    text: str
    old_text: str | None
    result: ExportResult
    needs_backup: bool = False


def export_cell(
    source: str,
    target: str,
    root: str | os.PathLike[str] = ".",
    force: bool = False,
    *,
    cell_id: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
    earlier_cells: Iterable[str] = (),
    before_write: Callable[[], None] | None = None,
    earlier_imports: Iterable[ImportBinding] = (),
) -> ExportResult:
    """Write a cell's code into a module of a package, replacing its old block.

    Args:
        source: the cell, magics included (they are not exported).
        target: the module, relative to `root`, e.g. "mypkg/models/mlp.py".
        root: the package root; the target must stay inside it.
        force: replace a file kerasnb did not write or one edited by hand
            since; the old file is kept as `name.~N~` first.
        cell_id: the notebook cell's id; without one the block is keyed by
            the target and the names the cell defines.
        notebook: the source notebook, named in the module's header.
        earlier_cells: cells run before; the module gets the imports it
            needs from them when the cell itself does not import a name.
        earlier_imports: imports run before, as parsed bindings (the latest
            last); `%%keras_export` passes these instead of whole cells.
        before_write: called once every check has passed, before anything
            is written (`%%keras_export` runs the cell here); if it raises,
            nothing is written.

    Returns:
        What was done, as an `ExportResult`.

    Raises:
        KerasnbError: the target is unsafe, the file would be overwritten
            without `force`, or the module would not work (with the line).
    """
    plan = plan_export(
        source, target, root, force, cell_id, notebook, earlier_cells, earlier_imports
    )
    if before_write is not None:
        before_write()
    return write(plan)


def plan_export(
    source: str,
    target: str,
    root: str | os.PathLike[str] = ".",
    force: bool = False,
    cell_id: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
    earlier_cells: Iterable[str] = (),
    earlier_imports: Iterable[ImportBinding] = (),
) -> ExportPlan:
    """Everything `export_cell` checks, without writing anything."""
    root_path = paths.check_root(root)
    target = paths.normalize_target(target)
    path = paths.resolve_target(root_path, target)
    code = parse_cell(source)
    old_text = paths.read_text(path)
    state = refuse_unless_forced(fmt.classify(old_text), target, force)
    old = fmt.parse_module(old_text) if old_text and state != fmt.ExistingFile.FOREIGN else None
    key = block_key(cell_id, target, code)
    module = fmt.GeneratedModule(
        source=source_label(notebook, root_path) or (old.source if old else fmt.UNNAMED_SOURCE),
        imports=old.imports if old else (),
        blocks=old.blocks if old else (),
    )
    module, action = fmt.with_block(module, fmt.Block(key, code.body))
    pools = [
        module.imports,
        tuple(earlier_imports),
        *(cell_imports(c) for c in earlier_cells),
        code.imports,
    ]
    text = assemble(module, pools, target, {key: ("", code)})
    if old_text is None or state == fmt.ExistingFile.FOREIGN:
        action = "created"
    elif text == old_text:
        action = "unchanged"
    result = ExportResult(target, action, code.names, key)
    needs_backup = state in (fmt.ExistingFile.FOREIGN, fmt.ExistingFile.EDITED)
    return ExportPlan(root_path, path, text, old_text, result, needs_backup)


def write(plan: ExportPlan) -> ExportResult:
    """Write a planned export: back up first if forced, then replace atomically."""
    if plan.result.action == "unchanged":
        return plan.result
    backup = None
    if plan.needs_backup and plan.path.exists():
        backup = paths.backup(plan.path).relative_to(plan.root).as_posix()
    paths.make_package_dirs(plan.root, plan.path)
    paths.atomic_write(plan.path, plan.text)
    return replace(plan.result, backup=backup)


def refuse_unless_forced(state: fmt.ExistingFile, target: str, force: bool) -> fmt.ExistingFile:
    """Raise for a file we must not overwrite unless the user said so."""
    if force or state in (fmt.ExistingFile.MISSING, fmt.ExistingFile.GENERATED):
        return state
    fix = {
        fmt.ExistingFile.FOREIGN: "export to another module",
        fmt.ExistingFile.EDITED: "move the edits into the notebook",
    }[state]
    raise KerasnbError(
        f"{target} was {state.value}; {fix}, or export with --force (force=True) "
        "to replace it (the old file is kept as a backup)"
    )


def assemble(
    module: fmt.GeneratedModule,
    pools: Sequence[Iterable[fmt.ImportBinding]],
    target: str,
    cells: dict[str, tuple[str, CellCode]],
) -> str:
    """Render the module with the imports it needs; refuse one that would fail.

    `cells` maps block keys to the cells being exported now and how to name
    them ("" for the only one), so errors point at the cell's own line.
    """
    imports, missing = fmt.gather_imports(module.blocks, pools)
    text = fmt.render(fmt.GeneratedModule(module.source, imports, module.blocks))
    starts = fmt.block_start_lines(text)
    try:
        fmt.compile_check(text, target)
    except fmt.CompileError as err:
        raise KerasnbError(
            f"{_where(err.line, starts, cells, target)}: {err.msg}, so the module would not "
            "compile; change the cell (top-level `await` and `return` only work in a notebook)"
        ) from None
    if missing:
        line = _first_use(text, missing[0])
        raise KerasnbError(
            f"{_where(line, starts, cells, target)}: `{missing[0]}` is not defined in "
            f"{target} and no cell imports it; export the cell that defines it to the "
            "same module, or import it in this cell"
        )
    return text


def _where(
    line: int, starts: dict[str, int], cells: dict[str, tuple[str, CellCode]], target: str
) -> str:
    """Name a module line as the user knows it: a cell line when we can."""
    owner = max(((s, k) for k, s in starts.items() if s <= line), default=None)
    if owner and owner[1] in cells:
        label, code = cells[owner[1]]
        return f"{label}line {code.cell_line(line - owner[0] + 1)}"
    return f"{target} line {line}"


def _first_use(text: str, name: str) -> int:
    lines = [
        n.lineno for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name) and n.id == name
    ]
    return min(lines, default=1)


def source_label(notebook: str | os.PathLike[str] | None, root: Path) -> str | None:
    """The notebook as the header names it: relative to the root when possible."""
    if not notebook:
        return None
    path = Path(notebook).expanduser().resolve()
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive on Windows
        return path.name
