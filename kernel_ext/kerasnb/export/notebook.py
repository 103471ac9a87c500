"""Export every `%%keras_export` cell of saved notebooks: the headless path.

`kerasnb export NB... --to DIR` rebuilds each notebook's blocks from the
notebook alone, in cell order, exactly as running it top to bottom would,
and keeps every other notebook's blocks as they are; `--check` compares
instead of writing, which is how CI notices that a package drifted from its
notebooks. Several notebooks (files, folders, glob patterns) are planned
together and written only when nothing was refused.

Every generated module under the root is looked at, not only the targets:
blocks whose cells no longer export there (orphans), or whose notebook is
gone, are reported, removed by `--prune` (after a backup) and fail `--check`.

Cells tagged `raises-exception` (the tag nbval and nbclient use for cells
meant to fail) are skipped: running the notebook exports nothing from them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kerasnb.errors import KerasnbError
from kerasnb.export import magic_line, notebook_file, paths
from kerasnb.export import module_format as fmt
from kerasnb.export.assemble import ConflictFix, Entry, ImportContext, assemble
from kerasnb.export.cell import ExportPlan, ExportResult, refuse_unless_forced, source_label
from kerasnb.export.cell import write as write_plan
from kerasnb.export.imports import specials
from kerasnb.export.ownership import Notebook, Owners, adopted_id, copy_message, takes_over
from kerasnb.export.report import Leftover, ModuleStatus, NotebookExport, PackageExport
from kerasnb.export.scan import generated_modules
from kerasnb.export.source import CellCode, block_key, cell_imports, parse_cell

__all__ = ["NotebookExport", "PackageExport", "export_notebook", "export_notebooks"]

MAGIC = magic_line.MAGIC
_KEPT = "kept"
Notebooks = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


@dataclass(frozen=True)
class _MarkedCell:
    number: int
    cell_id: str | None
    target: str
    path: Path  # the target's file, resolved
    code: CellCode
    where: str  # "a.ipynb cell 3"


@dataclass(frozen=True)
class _Source:
    """One exported notebook: its file, its marked cells, who it is."""

    file: notebook_file.NotebookFile
    cells: tuple[_MarkedCell, ...]
    notebook: Notebook
    new_id: bool  # the id is new and goes into its metadata once the modules are written


@dataclass(frozen=True)
class _Existing:
    text: str | None
    state: fmt.ExistingFile
    module: fmt.GeneratedModule


@dataclass(frozen=True)
class _Outcome:
    plan: ExportPlan | None  # None: nothing to write
    status: ModuleStatus | None  # None: the module is no target
    leftover: Leftover | None


def export_notebook(
    notebook: str | os.PathLike[str],
    to: str | os.PathLike[str] = ".",
    *,
    check: bool = False,
    force: bool = False,
    prune: bool = False,
) -> PackageExport:
    """Export the `%%keras_export` cells of a saved notebook into package `to`.

    The same as `export_notebooks([notebook], ...)`; see there.
    """
    return export_notebooks([notebook], to, check=check, force=force, prune=prune)


def export_notebooks(
    notebooks: Notebooks,
    to: str | os.PathLike[str] = ".",
    *,
    check: bool = False,
    force: bool = False,
    prune: bool = False,
) -> PackageExport:
    """Export the `%%keras_export` cells of several notebooks into package `to`, in one step.

    Args:
        notebooks: .ipynb files, folders (searched below, hidden ones
            skipped) or glob patterns such as "nbs/*.ipynb".
        to: the package root; cells' own `--root` options are ignored.
        check: compare with the files instead of writing them.
        force: replace files kerasnb did not write or that were edited by
            hand (each is backed up first).
        prune: remove orphans, the blocks no exported cell writes any more
            (a module left empty is deleted); each file is backed up first.

    Returns:
        One status per target module and one per module holding orphans;
        `in_sync` is False when a check found a difference or an orphan.

    Raises:
        KerasnbError: a notebook cannot be read, a cell is not valid, two
            cells define one name in a module, or a file would be
            overwritten without `force`. Nothing is written then.
    """
    root = paths.check_root(to)
    arguments = [notebooks] if isinstance(notebooks, str | os.PathLike) else list(notebooks)
    if not arguments:
        raise KerasnbError("no notebook to export; pass .ipynb files, folders or glob patterns")
    files = [
        notebook_file.read(path, shown)
        for path, shown in _distinct(notebook_file.expand(arguments))
    ]
    marked = {f.path: tuple(_marked_cells(f, root)) for f in files}
    targets: dict[Path, str] = {}  # each module as its first cell spells it
    for cells in marked.values():
        for cell in cells:
            targets.setdefault(cell.path, cell.target)
    modules = dict.fromkeys([*targets, *generated_modules(root)])
    existing = {path: _read_existing(path) for path in modules}
    sources = _sources(files, marked, root, existing, check)
    owners = Owners(root, [s.notebook for s in sources])
    outcomes = [
        _plan_module(root, path, targets.get(path) or _relative(path, root), existing[path],
                     sources, owners, check=check, force=force, prune=prune)
        for path in existing
    ]  # fmt: skip
    if not check:
        outcomes = [_write(outcome) for outcome in outcomes]
    saved = () if check else tuple(_save_ids(sources))
    return PackageExport(
        tuple(f.shown for f in files),
        check,
        tuple(o.status for o in outcomes if o.status),
        tuple(o.leftover for o in outcomes if o.leftover),
        saved,
    )


def _distinct(found: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """Name notebooks by their full path where their short names clash."""
    counts = Counter(shown for _, shown in found)
    return [(path, shown if counts[shown] == 1 else path.as_posix()) for path, shown in found]


def _marked_cells(nb: notebook_file.NotebookFile, root: Path) -> Iterator[_MarkedCell]:
    for cell in nb.cells:
        first = cell.source.lstrip().split("\n", 1)[0]
        if not (first == MAGIC or first.startswith(MAGIC + " ")):
            continue
        where = f"{nb.shown} cell {cell.number}"
        try:
            args = magic_line.parse(first[len(MAGIC) :])
            if "{" in args.target or "$" in args.target:
                raise KerasnbError(
                    f"target {args.target!r} uses a notebook variable, which `kerasnb export` "
                    "cannot expand; write the module path literally and put the folder in --root"
                )
            target = paths.normalize_target(args.target)
            path = paths.resolve_target(root, target)
            code = parse_cell(cell.source)
        except KerasnbError as err:
            raise KerasnbError(f"{where}: {err}") from None
        yield _MarkedCell(cell.number, cell.cell_id, target, path, code, where)


def _read_existing(path: Path) -> _Existing:
    text = paths.read_text(path)
    state = fmt.classify(text)
    readable = text is not None and state != fmt.ExistingFile.FOREIGN
    return _Existing(
        text, state, fmt.parse_module(text) if text and readable else fmt.GeneratedModule((), ())
    )


def _sources(
    files: Sequence[notebook_file.NotebookFile],
    marked: dict[Path, tuple[_MarkedCell, ...]],
    root: Path,
    existing: dict[Path, _Existing],
    check: bool,
) -> list[_Source]:
    """Who each notebook is: its id (its own, the one its blocks carry, or a new one)."""
    blocks = [b for e in existing.values() for b in e.module.blocks]
    sources: list[_Source] = []
    seen: dict[str, str] = {}
    for f in files:
        label = source_label(f.path, root)
        notebook_id = f.notebook_id or adopted_id(label, blocks)
        new = notebook_id is None and bool(marked[f.path]) and not check
        if new:
            notebook_id = notebook_file.new_id()
        if notebook_id in seen:
            raise KerasnbError(copy_message(seen[notebook_id], f.shown, notebook_id or ""))
        if notebook_id:
            seen[notebook_id] = f.shown
        positions = {cell: i for i, cell in enumerate(f.cell_ids)}
        notebook = Notebook(label, notebook_id, frozenset(f.cell_ids), f.shown, positions)
        sources.append(_Source(f, marked[f.path], notebook, new))
    return sources


def _plan_module(
    root: Path,
    path: Path,
    target: str,
    old: _Existing,
    sources: Sequence[_Source],
    owners: Owners,
    *,
    check: bool,
    force: bool,
    prune: bool,
) -> _Outcome:
    """One module as the notebooks leave it: theirs rebuilt, others kept, orphans found."""
    writers = [(s, [c for c in s.cells if c.path == path]) for s in sources]
    writers = [(s, cells) for s, cells in writers if cells]
    if writers and not check:
        refuse_unless_forced(old.state, target, force, writers[0][1][0].where)
    writing = {id(s.notebook) for s, _ in writers}
    names = [{n for c in cells for n in c.code.names} for _, cells in writers]
    kept, left, orphans, strays = [], [], Counter[str](), Counter[str]()
    for block in old.module.blocks:
        owner = owners.owner(block)
        if owner is not None and id(owner) in writing:
            continue  # rebuilt from its notebook below
        if owner is not None:
            orphans[owner.shown] += 1
            left.append(block)
        elif owners.gone(block):
            if any(takes_over(block, n) for n in names):
                continue  # redefined by an exported cell, as in the kernel
            strays[owners.shown(block.origin.label) if block.origin.label else ""] += 1
            left.append(block)
        else:
            kept.append(block)
    if not writers and not left:
        return _Outcome(None, None, None)
    pruning = prune and not check
    leftover = None
    if left:
        whole = not writers and not kept
        leftover = Leftover(target, tuple(orphans.items()), tuple(strays.items()), whole, pruning)
    if not writers and not pruning:
        return _Outcome(None, None, leftover)  # reported, left as it is
    if not writers:
        refuse_unless_forced(old.state, target, force)
    entries, contexts = _entries(target, old.module, writers, kept if prune else kept + left)
    text = assemble(target, entries, contexts, _conflict_fix(owners)) if entries else None
    cells = sum(len(c) for _, c in writers)
    state = _state(text, old, len(writers), check)
    status = None
    if writers:
        counts = Counter(owners.shown(b.origin.label) for b in kept)
        status = ModuleStatus(
            target, state, cells, notebooks=len(writers), kept=tuple(counts.items())
        )
    forced = old.state in (fmt.ExistingFile.FOREIGN, fmt.ExistingFile.EDITED)
    result = ExportResult(target, "unchanged" if text == old.text else "written", (), "")
    needs_backup = forced or (prune and bool(left))
    plan = ExportPlan(root, path, text, old.text, result, needs_backup)
    return _Outcome(None if check else plan, status, leftover)


def _entries(
    target: str,
    old: fmt.GeneratedModule,
    writers: list[tuple[_Source, list[_MarkedCell]]],
    kept: list[fmt.Block],
) -> tuple[list[Entry], dict[str, ImportContext]]:
    """The module's blocks in order, with the imports each notebook gives them."""
    entries = [Entry(b, _KEPT) for b in kept]
    contexts = {
        _KEPT: ImportContext(f"the other blocks of {target}", (old.imports,), specials(old.imports))
    }
    for index, (source, cells) in enumerate(writers):
        key = f"notebook {index}"
        blocks: list[fmt.Block] = []
        by_key: dict[str, _MarkedCell] = {}
        for cell in cells:
            block = fmt.Block(
                block_key(cell.cell_id, target, cell.code), cell.code.body, source.notebook.origin
            )
            blocks, _, _ = fmt.with_block(blocks, block, range(len(blocks)))
            by_key[block.key] = cell
        blocks.sort(key=lambda b: by_key[b.key].number)
        entries += [Entry(b, key, by_key[b.key].where, by_key[b.key].code) for b in blocks]
        last = cells[-1].number
        earlier = tuple(cell_imports(c.source) for c in source.file.cells if c.number <= last)
        own = tuple(b for c in cells for b in c.code.imports)
        contexts[key] = ImportContext(source.file.shown, (*earlier, own), specials(own))
    order = {id(b): i for i, b in enumerate(fmt.order_blocks([e.block for e in entries]))}
    return sorted(entries, key=lambda e: order[id(e.block)]), contexts


def _conflict_fix(owners: Owners) -> ConflictFix:
    def fix(first: Entry, second: Entry) -> str:
        kept = next((e for e in (first, second) if e.cell is None), None)
        if kept is None:
            if first.block.origin == second.block.origin:
                return (
                    "define each name in one exported cell, or export one of them to another module"
                )
            return "define it in one notebook only, or export one of the cells to another module"
        other = kept.block.origin
        if owners.gone(kept.block):
            gone = (
                f"of {other.label}, which no longer exists"
                if other.label
                else "from an unnamed notebook"
            )
            return f"add --prune to drop the blocks {gone} (a backup is kept)"
        return (
            f"rename one, or, if the cell moved from {owners.shown(other.label)}, export both "
            "notebooks in one step so that its old block goes"
        )

    return fix


def _state(text: str | None, old: _Existing, notebooks: int, check: bool) -> str:
    if not check:
        return "unchanged" if text == old.text else "written"
    if text == old.text:
        return "in sync"
    if old.state != fmt.ExistingFile.GENERATED:
        return old.state.value
    if old.module.legacy:
        return "written by an earlier kerasnb (export again to update it)"
    return "differs from the notebook" if notebooks == 1 else "differs from its notebooks"


def _write(outcome: _Outcome) -> _Outcome:
    if outcome.plan is None:
        return outcome
    result = write_plan(outcome.plan)
    status, leftover = outcome.status, outcome.leftover
    if status is not None:
        status = ModuleStatus(status.target, result.action, status.cells, result.backup,
                              status.notebooks, status.kept)  # fmt: skip
    elif leftover is not None:
        leftover = Leftover(leftover.target, leftover.orphans, leftover.strays, leftover.whole,
                            leftover.pruned, result.backup)  # fmt: skip
    return _Outcome(None, status, leftover)


def _save_ids(sources: Sequence[_Source]) -> Iterator[str]:
    for source in sources:
        if source.new_id and source.notebook.notebook_id:
            try:
                notebook_file.save_id(source.file.path, source.notebook.notebook_id)
            except OSError:  # read-only: its blocks' markers still carry the id
                continue
            yield source.file.shown


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
