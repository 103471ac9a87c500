"""Saved notebooks as export reads them: cells, cell ids, kerasnb's id; folders and globs.

A notebook's kerasnb id lives in its metadata (`"kerasnb": {"id": ...}`) so
that its blocks follow it when it is renamed or moved; `kerasnb export`
writes one the first time it exports a notebook that has none. Only that
entry changes: the file is rewritten the way Jupyter writes notebooks.
"""

from __future__ import annotations

import glob
import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.export import paths

_EXPECTED_TO_FAIL = "raises-exception"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_GLOB = re.compile(r"[*?[]")


@dataclass(frozen=True)
class CodeCell:
    number: int  # 1-based, counting every cell as the notebook shows them
    cell_id: str | None
    source: str


@dataclass(frozen=True)
class NotebookFile:
    """What export needs from one saved notebook."""

    path: Path  # resolved
    shown: str  # how messages name it
    cells: tuple[CodeCell, ...]  # code cells meant to run without error
    cell_ids: tuple[str, ...]  # every cell's id, in order
    notebook_id: str | None


def read(path: Path, shown: str) -> NotebookFile:
    """Read a notebook for export.

    Raises:
        KerasnbError: it does not exist, is no notebook, or carries an id
            kerasnb cannot use.
    """
    import nbformat

    try:
        nb = nbformat.read(os.fspath(path), as_version=4)
    except FileNotFoundError:
        raise KerasnbError(f"notebook {shown!r} does not exist; check the path") from None
    except Exception as err:  # nbformat raises many kinds for a broken file
        raise KerasnbError(
            f"cannot read {shown!r} as a notebook ({type(err).__name__}); "
            "pass a .ipynb file saved by Jupyter"
        ) from None
    cells = tuple(
        CodeCell(number, cell.get("id"), cell.source)
        for number, cell in enumerate(nb.cells, 1)
        if cell.cell_type == "code" and _EXPECTED_TO_FAIL not in cell.metadata.get("tags", ())
    )
    ids = tuple(c["id"] for c in nb.cells if isinstance(c.get("id"), str))
    return NotebookFile(path.resolve(), shown, cells, ids, _checked_id(nb.metadata, shown))


def _checked_id(metadata: Any, shown: str) -> str | None:
    entry = metadata.get("kerasnb") if isinstance(metadata, dict) else None
    value = entry.get("id") if isinstance(entry, dict) else None
    if value is None or (isinstance(value, str) and _ID.match(value)):
        return value
    raise KerasnbError(
        f"{shown}: the kerasnb id {value!r} in its metadata is not letters, digits, `-` "
        "and `_`; delete the `kerasnb` entry so that the next export gives it a new id"
    )


def read_identity(path: Path) -> tuple[str | None, tuple[str, ...]] | None:
    """(kerasnb id, cell ids) of a saved notebook, or None if it cannot be read.

    For `%%keras_export`, which must not fail because the file on disk is
    being saved or is not a notebook: it then simply knows less.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        ids = tuple(c["id"] for c in data.get("cells", ()) if isinstance(c.get("id"), str))
        return _checked_id(data.get("metadata"), path.name), ids
    except (OSError, ValueError, AttributeError, TypeError):  # KerasnbError is a ValueError
        return None


def new_id() -> str:
    return secrets.token_hex(4)


def save_id(path: Path, notebook_id: str) -> None:
    """Store `notebook_id` in the notebook's metadata, changing nothing else."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    entry = data.setdefault("metadata", {}).setdefault("kerasnb", {})
    entry["id"] = notebook_id
    # How nbformat (and so Jupyter) writes notebooks.
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": "))
    paths.atomic_write(path, text + "\n")


def expand(arguments: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, str]]:
    """The notebooks named by files, folders (searched below) and glob patterns.

    Returns (path, how messages name it), each notebook once, in the order
    given (sorted within a folder or a pattern). Hidden files and folders
    (`.ipynb_checkpoints`) are skipped.

    Raises:
        KerasnbError: a folder or pattern finds no notebook.
    """
    found: dict[Path, tuple[Path, str]] = {}
    for argument in arguments:
        text = os.fspath(argument)
        path = Path(text).expanduser()
        if path.is_dir():
            matches = sorted(_below(path))
            if not matches:
                raise KerasnbError(f"folder {text!r} holds no .ipynb notebook; check the path")
        elif not path.exists() and _GLOB.search(text):
            matches = sorted(_matching(os.path.expanduser(text)))
            if not matches:
                raise KerasnbError(f"no notebook matches {text!r}; check the pattern")
        else:
            matches = [path]
        for match in matches:
            found.setdefault(match.resolve(), (match, _shown(match)))
    return list(found.values())


def _below(folder: Path) -> Iterator[Path]:
    for parent, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".")]
        for name in files:
            if name.endswith(".ipynb") and not name.startswith("."):
                yield Path(parent, name)


def _matching(pattern: str) -> Iterator[Path]:
    for match in glob.glob(pattern, recursive=True):
        path = Path(match)
        if path.suffix == ".ipynb" and path.is_file() and ".ipynb_checkpoints" not in path.parts:
            yield path


def _shown(path: Path) -> str:
    """The notebook as typed when relative, else by its name (no machine paths in output)."""
    return path.as_posix() if not path.is_absolute() else path.name
