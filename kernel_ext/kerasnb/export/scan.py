"""Find the modules kerasnb generated under a package root.

An export must see every generated module, not only those its notebooks
target now: a module whose cells were deleted or moved is exactly the one no
cell names any more. Only folders that could be packages are searched (a
Python identifier, not a virtual environment), and of each `.py` file only
the first line is read.
"""

from __future__ import annotations

import keyword
import os
from collections.abc import Iterator
from pathlib import Path

from kerasnb.export.module_format import is_generated_header


def generated_modules(root: Path) -> Iterator[Path]:
    """Resolved paths of the kerasnb modules below `root`, in a stable order."""
    for parent, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if _may_hold_modules(Path(parent, f)))
        for name in sorted(files):
            path = Path(parent, name)
            if name.endswith(".py") and not path.is_symlink() and _first_line_is_ours(path):
                yield path.resolve()


def _may_hold_modules(folder: Path) -> bool:
    name = folder.name
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in ("__pycache__", "node_modules")
        and not (folder / "pyvenv.cfg").exists()
        and not folder.is_symlink()
    )


def _first_line_is_ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return is_generated_header(f.readline(400).rstrip("\n"))
    except OSError:
        return False
