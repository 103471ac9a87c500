"""`kerasnb new-project DIR`: the layout Keras projects keep writing by hand.

The files live under `project_template/` as `*.tmpl` (so no tool mistakes
them for kerasnb's own code) and ship in the wheel with the package. Only
names are substituted, with `string.Template`; the code is the same for
every project, and a test trains it on all three backends.
"""

from __future__ import annotations

import keyword
import os
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path, PurePosixPath
from string import Template
from typing import Any

from kerasnb.errors import KerasnbError
from kerasnb.export.paths import atomic_write

_RENAMES = {"package": "{package}", "gitignore": ".gitignore"}


@dataclass(frozen=True)
class NewProject:
    """What `new_project` wrote, relative to the project folder."""

    path: str
    package: str
    files: tuple[str, ...]

    def __str__(self) -> str:
        listing = "".join(f"\n  {name}" for name in self.files)
        return (
            f"Created the Keras project {self.path} (package `{self.package}`):{listing}\n"
            f"Next: cd {self.path} && python train.py --epochs 1"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def new_project(
    path: str | os.PathLike[str], package: str | None = None, backend: str | None = None
) -> NewProject:
    """Lay out a Keras project that trains, exports and tests as it is.

    Args:
        path: a new or empty folder.
        package: the import name; by default derived from the folder's name.
        backend: written into config/default.yaml; by default none, so
            KERAS_BACKEND or Keras' own default decides.

    Raises:
        KerasnbError: the folder is not empty, or a name is unusable.
    """
    folder = Path(path).expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise KerasnbError(
            f"{os.fspath(path)!r} already exists and is not an empty folder; "
            "pick a new folder for the project"
        )
    package = package or _package_name(folder.resolve().name)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise KerasnbError(
            f"package name {package!r} is not a Python identifier; pass one like 'my_project'"
        )
    values = {
        "package": package,
        "distribution": folder.resolve().name,
        "backend": _backend(backend),
    }
    written = []
    for relative, template in _templates(resources.files("kerasnb.export") / "project_template"):
        parts = (*relative.parent.parts, relative.name.removesuffix(".tmpl"))
        name = PurePosixPath(*(_RENAMES.get(p, p) for p in parts)).as_posix()
        name = name.format(package=package)
        destination = folder / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(destination, Template(template.read_text("utf-8")).substitute(values))
        written.append(name)
    return NewProject(os.fspath(path), package, tuple(sorted(written)))


def _templates(
    folder: Traversable, prefix: PurePosixPath | None = None
) -> list[tuple[PurePosixPath, Traversable]]:
    """Every `*.tmpl` below `folder` with its path relative to it."""
    prefix = prefix or PurePosixPath()
    found = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found += _templates(entry, prefix / entry.name)
        elif entry.name.endswith(".tmpl"):
            found.append((prefix / entry.name, entry))
    return found


def _package_name(folder_name: str) -> str:
    name = re.sub(r"\W+", "_", folder_name).strip("_").lower()
    if not name or name[0].isdigit():
        raise KerasnbError(
            f"cannot derive a package name from {folder_name!r}; pass one with --package NAME"
        )
    return name


def _backend(backend: str | None) -> str:
    if backend is None:
        return "null"
    from kerasnb.backend.api import normalize_name

    return normalize_name(backend)
