"""Export notebook cells into a real Python module: `kerasnb.export_cell`.

Export is planned first and written last, so that a refusal (bad target,
a hand-edited file, a name another notebook already defines there, code that
would not compile) leaves everything as it was, and so that `%%keras_export`
can run the cell between the two steps.

A cell replaces only a block of its own notebook (see `ownership`); other
notebooks' blocks stay as they are, in the order `module_format` gives.
When kerasnb cannot tell the notebook (nbclient and nbval do not say), the
cell takes over the block it replaces, marker and all, so a test run of a
notebook leaves the module as `kerasnb export` wrote it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.export import module_format as fmt
from kerasnb.export import notebook_file, paths
from kerasnb.export.assemble import Entry, ImportContext, assemble
from kerasnb.export.imports import specials
from kerasnb.export.ownership import Notebook, Owners, adopted_id
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
    """A checked export, ready to write (`text` None: remove the file)."""

    root: Path
    path: Path
    text: str | None
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
        notebook: the source notebook, named in the block's marker; its
            saved file (if any) gives its kerasnb id and its cells' order.
            Without it the cell may replace any block it redefines.
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
            without `force`, another notebook's block defines one of the
            cell's names, or the module would not work (with the line).
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
    readable = old_text is not None and state != fmt.ExistingFile.FOREIGN
    old = fmt.GeneratedModule((), ())
    if old_text is not None and readable:
        old = fmt.parse_module(old_text)
    me = this_notebook(notebook, root_path, cell_id, old.blocks)
    blocks, action, mine = _place(Owners(root_path, [me]), me, old.blocks, cell_id, target, code)
    entries = [
        Entry(b, "cell" if b.origin == mine.origin else "other", "" if b is mine else None,
              code if b is mine else None)
        for b in blocks
    ]  # fmt: skip
    pools = (
        old.imports,
        tuple(earlier_imports),
        *(cell_imports(c) for c in earlier_cells),
        code.imports,
    )
    others = f"the other blocks of {target}"
    contexts = {
        "cell": ImportContext(me.shown, pools, specials((*old.imports, *code.imports))),
        "other": ImportContext(others, (old.imports,), specials(old.imports)),
    }
    text = assemble(target, entries, contexts, _fix)
    if not readable:
        action = "created"
    elif text == old_text:
        action = "unchanged"
    result = ExportResult(target, action, code.names, mine.key)
    needs_backup = state in (fmt.ExistingFile.FOREIGN, fmt.ExistingFile.EDITED)
    return ExportPlan(root_path, path, text, old_text, result, needs_backup)


def _place(
    owners: Owners,
    me: Notebook,
    old: tuple[fmt.Block, ...],
    cell_id: str | None,
    target: str,
    code: CellCode,
) -> tuple[tuple[fmt.Block, ...], str, fmt.Block]:
    """The module's blocks with the cell's block in place; the action; that block."""
    known = me.label is not None
    own = [owners.owner(b) is me for b in old]
    # A renamed or moved notebook's blocks take its new name.
    blocks = [replace(b, origin=me.origin) if mine else b for b, mine in zip(old, own, strict=True)]
    among = [i for i, b in enumerate(old) if own[i] or owners.gone(b) or not known]
    block = fmt.Block(block_key(cell_id, target, code), code.body, me.origin)
    placed, action, replaced = fmt.with_block(blocks, block, among)
    if replaced is not None and (not cell_id or not known):
        # Keep the marker kerasnb export wrote, which knew more than this cell does.
        kept = fmt.Block(replaced.key if not cell_id else block.key, block.body,
                         block.origin if known else replaced.origin)  # fmt: skip
        placed = [kept if b is block else b for b in placed]
        block = kept
    if me.positions:
        placed = _in_cell_order(placed, block.origin, me.positions)
    return fmt.order_blocks(placed), action, block


def _in_cell_order(
    blocks: list[fmt.Block], origin: fmt.Origin, positions: dict[str, int]
) -> list[fmt.Block]:
    """The notebook's blocks in the order of its saved cells, as `kerasnb export` puts them."""
    slots = [i for i, b in enumerate(blocks) if b.origin == origin]
    ordered = sorted((blocks[i] for i in slots), key=lambda b: positions.get(b.key, len(positions)))
    result = list(blocks)
    for slot, block in zip(slots, ordered, strict=True):
        result[slot] = block
    return result


def _fix(first: Entry, second: Entry) -> str:
    cell, other = (first, second) if first.cell is not None else (second, first)
    if cell.block.origin == other.block.origin:
        return "define each name in one exported cell, or export one of them to another module"
    return (
        "rename it in this cell, or export the cell to another module (if that block is "
        "this cell's code from before a move, run `kerasnb export` on both notebooks)"
    )


def this_notebook(
    notebook: str | os.PathLike[str] | None,
    root: Path,
    cell_id: str | None,
    blocks: Iterable[fmt.Block],
) -> Notebook:
    """The exporting notebook as far as a running cell can know it."""
    cells = frozenset({cell_id}) if cell_id else frozenset()
    label = source_label(notebook, root)
    if notebook is None or label is None:
        return Notebook(None, cell_ids=cells)
    saved = notebook_file.read_identity(Path(notebook))
    notebook_id, ids = saved if saved is not None else (None, ())
    return Notebook(
        label,
        notebook_id or adopted_id(label, blocks),
        cells | frozenset(ids),
        Path(notebook).name,
        {cell: i for i, cell in enumerate(ids)},
    )


def write(plan: ExportPlan) -> ExportResult:
    """Write a planned export: back up first if asked, then replace atomically."""
    if plan.result.action == "unchanged":
        return plan.result
    backup = None
    if plan.needs_backup and plan.path.exists():
        backup = paths.backup(plan.path).relative_to(plan.root).as_posix()
    if plan.text is None:
        plan.path.unlink()
    else:
        paths.make_package_dirs(plan.root, plan.path)
        paths.atomic_write(plan.path, plan.text)
    return replace(plan.result, backup=backup)


def refuse_unless_forced(
    state: fmt.ExistingFile, target: str, force: bool, cell: str | None = None
) -> fmt.ExistingFile:
    """Raise for a file we must not overwrite unless the user said so."""
    if force or state in (fmt.ExistingFile.MISSING, fmt.ExistingFile.GENERATED):
        return state
    if state == fmt.ExistingFile.FOREIGN:
        fix = f"export {cell} to another module" if cell else "export to another module"
    else:
        fix = f"move the edits into {cell}" if cell else "move the edits into the notebook"
    raise KerasnbError(
        f"{target} was {state.value}; {fix}, or export with --force (force=True) "
        "to replace it (the old file is kept as a backup)"
    )


def source_label(notebook: str | os.PathLike[str] | None, root: Path) -> str | None:
    """The notebook as markers name it: relative to the root when possible.

    Raises:
        KerasnbError: the path holds a line break, which no marker can.
    """
    if not notebook:
        return None
    path = Path(notebook).expanduser().resolve()
    if "\n" in str(path) or "\r" in str(path):
        raise KerasnbError(f"notebook path {str(notebook)!r} holds a line break; rename the file")
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive on Windows
        return path.name
