"""Where an export may write, and writing there without losing anything.

A target is a module path inside the package root: relative, no `..`, no
symlink that leads out, each part a Python identifier so that it imports.
Writes go through a temporary file and `os.replace`, so a reader (or a
crash) never sees half a module; a file we replace by force is backed up.
"""

from __future__ import annotations

import keyword
import os
import secrets
from pathlib import Path, PurePosixPath

from kerasnb.errors import KerasnbError


def check_root(root: str | os.PathLike[str]) -> Path:
    """The package root, resolved; it must already exist."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise KerasnbError(
            f"package root {str(root)!r} is not a directory; create it first "
            "(e.g. `kerasnb new-project DIR`) or pass an existing root"
        )
    return path.resolve()


def normalize_target(target: str) -> str:
    """The target as a clean posix module path, e.g. "pkg/models/mlp.py".

    Raises:
        KerasnbError: it is absolute, climbs out with `..`, is not a `.py`
            file, or has a part that is not a Python identifier.
    """
    text = target.strip().replace("\\", "/")
    example = "e.g. mypkg/models/mlp.py"
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or text.startswith("~") or ":" in pure.parts[0]:
        raise KerasnbError(
            f"target {target!r} must be a path relative to the package root, {example}"
        )
    if ".." in pure.parts:
        raise KerasnbError(f"target {target!r} leaves the package root through `..`; {example}")
    if pure.suffix != ".py":
        raise KerasnbError(f"target {target!r} must name a .py module, {example}")
    for part in [*pure.parts[:-1], pure.stem]:
        if not part.isidentifier() or keyword.iskeyword(part):
            fix = part.replace("-", "_").replace(" ", "_")
            raise KerasnbError(
                f"{part!r} in target {target!r} is not a Python identifier, so the module "
                f"could not be imported; rename it (e.g. {fix!r})"
            )
    return pure.as_posix()


def resolve_target(root: Path, target: str) -> Path:
    """The file to write for `target` under `root`, following symlinks.

    Raises:
        KerasnbError: a symlink leads outside the root, or the target is a
            directory.
    """
    path = root / target
    real = Path(os.path.realpath(path))
    if real != root and root not in real.parents:
        raise KerasnbError(
            f"target {target!r} leads outside the package root {str(root)!r} through a "
            "symlink; export to a module inside the root"
        )
    if real.is_dir():
        raise KerasnbError(f"target {target!r} is a directory; name a .py module inside it")
    return real


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""  # not ours: kerasnb writes UTF-8 text


def make_package_dirs(root: Path, path: Path) -> list[Path]:
    """Create missing folders between root and `path`, each with `__init__.py`.

    Only folders created here get one: an existing folder stays as its
    owner left it (it may be a namespace package on purpose).
    """
    created = []
    for folder in reversed(path.parent.relative_to(root).parents[:-1]):
        created.extend(_make_package(root / folder))
    created.extend(_make_package(path.parent))
    return created


def _make_package(folder: Path) -> list[Path]:
    if folder.exists():
        return []
    folder.mkdir()
    init = folder / "__init__.py"
    atomic_write(init, "")
    return [init]


def backup(path: Path) -> Path:
    """Copy `path` to the first free `name.~N~` (GNU numbered backups)."""
    n = 1
    while (candidate := path.with_name(f"{path.name}.~{n}~")).exists():
        n += 1
    atomic_write(candidate, path.read_text(encoding="utf-8", errors="surrogateescape"))
    return candidate


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide, as for any new file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n", errors="surrogateescape") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
