"""What `%keras_backend` shows and what a switch did, as plain frozen data.

Shown through `kerasnb.shared.rich` (the view, backend/view.py, registers
itself); the data never imports its view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from kerasnb.shared import rich


@dataclass(frozen=True)
class BackendStatus:
    """What one backend looks like from this kernel."""

    name: str
    installed: bool
    version: str | None
    install_command: str
    devices: tuple[str, ...] | None = None  # None: not asked
    devices_error: str | None = None


@dataclass(frozen=True)
class BackendInfo:
    """The facts `%keras_backend` shows, as plain data."""

    active: str
    keras_imported: bool
    source: str
    keras_version: str | None
    backends: tuple[BackendStatus, ...]
    floatx: str | None = None
    image_data_format: str | None = None
    dtype_policy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)


@dataclass(frozen=True)
class SwitchResult:
    """What `set_backend` did, and what the user must redo."""

    previous: str
    current: str
    in_place: bool
    rebound: tuple[str, ...] = ()
    stale: tuple[tuple[str, str], ...] = ()  # (variable name, what it holds)
    default: str | None = None  # the notebook's default, when the environment chose instead
    from_environment: bool = False  # KERAS_BACKEND in the environment decided

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return rich.bundle(self)
