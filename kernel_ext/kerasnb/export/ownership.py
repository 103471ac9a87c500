"""Which notebook owns a block of a generated module.

Exporting a notebook replaces its own blocks and no other notebook's, so
every block's owner must be found again, even after a rename or a move. A
notebook owns a block, in this order, when:

1. the block's marker carries the notebook's kerasnb id (the id lives in the
   notebook's metadata, written on its first `kerasnb export`, and moves
   with the file);
2. the marker names the notebook's path (relative to the package root) and
   one of the two has no id;
3. the marker's notebook no longer exists at its path and the block's key is
   the id of one of the notebook's cells (`git mv` and renaming in
   JupyterLab keep cell ids).

A block whose notebook is gone (or was never known: plain IPython, nbclient,
nbval) and that no exporting notebook owns is *stray*: a notebook may take it
over by defining all its names again in the same module, as running the
cell did in the kernel. Two notebooks with one id are a copy: refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kerasnb.errors import KerasnbError
from kerasnb.export import notebook_file
from kerasnb.export.module_format import Block, Origin


@dataclass(frozen=True, eq=False)
class Notebook:
    """A notebook exporting now, as ownership sees it (compared by identity)."""

    label: str | None  # relative to the package root; None: kerasnb cannot tell
    notebook_id: str | None = None
    cell_ids: frozenset[str] = frozenset()
    shown: str = "this notebook"  # how messages name it
    positions: dict[str, int] = field(default_factory=dict)  # cell id -> place in the file

    @property
    def origin(self) -> Origin:
        return Origin(self.label, self.notebook_id)


class Owners:
    """Finds the owner of each block among the notebooks exporting now."""

    def __init__(self, root: Path, notebooks: Sequence[Notebook]) -> None:
        self._root = root
        self._notebooks = tuple(notebooks)
        self._exists: dict[str, bool] = {}

    def exists(self, label: str) -> bool:
        """Whether the notebook a marker names is still at its path."""
        if label not in self._exists:
            self._exists[label] = (self._root / label).is_file()
        return self._exists[label]

    def shown(self, label: str | None) -> str:
        """A marker's notebook as messages name it: from the current folder when inside it."""
        if label is None:
            return "an unnamed notebook"
        path = (self._root / label).resolve()
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.name  # as notebooks given by an absolute path are named

    def gone(self, block: Block) -> bool:
        """The block's notebook is unknown, or no longer at its path."""
        label = block.origin.label
        return label is None or not self.exists(label)

    def owner(self, block: Block) -> Notebook | None:
        """The exporting notebook that owns `block`, if any (rules 1-3 above).

        Raises:
            KerasnbError: a notebook carries the id of another one that still
                exists (a copy made with File > Duplicate, or `cp`).
        """
        origin = block.origin
        if origin.notebook_id:
            for nb in self._notebooks:
                if nb.notebook_id == origin.notebook_id:
                    self._refuse_copy(nb, origin)
                    return nb
        if origin.label:
            for nb in self._notebooks:
                same_path = nb.label == origin.label
                if same_path and (nb.notebook_id is None or origin.notebook_id is None):
                    return nb
        if self.gone(block):
            moved = [nb for nb in self._notebooks if block.key in nb.cell_ids]
            if len(moved) == 1:
                return moved[0]
        return None

    def _refuse_copy(self, nb: Notebook, origin: Origin) -> None:
        label = origin.label
        if not label or label == nb.label or not self.exists(label):
            return  # the same notebook, or a rename
        other = notebook_file.read_identity(self._root / label)
        if other is not None and other[0] == origin.notebook_id:
            raise KerasnbError(copy_message(nb.shown, self.shown(label), origin.notebook_id or ""))


def copy_message(first: str, second: str, notebook_id: str) -> str:
    return (
        f"{first} and {second} have the same kerasnb id {notebook_id!r}, so one is a copy "
        "of the other; delete the `kerasnb` entry from the copy's notebook metadata "
        "(it gets an id of its own on its next export)"
    )


def adopted_id(label: str | None, blocks: Iterable[Block]) -> str | None:
    """The id blocks at this notebook's path carry, for a notebook that lost its own.

    JupyterLab saving over a notebook it had open drops an id that `kerasnb
    export` wrote meanwhile; the blocks still know it.
    """
    if label is None:
        return None
    return next(
        (b.origin.notebook_id for b in blocks if b.origin.label == label and b.origin.notebook_id),
        None,
    )


def takes_over(block: Block, names: Iterable[str]) -> bool:
    """A stray block is taken over by cells that define all its names again."""
    return bool(block.names) and set(block.names) <= set(names)


def describe(block: Block) -> str:
    """A block as messages name it: by its marker, which the user can search for."""
    return f"the block `{block.marker}`"
