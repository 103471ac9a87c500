"""Which Keras backend runs, which could, and switching between them.

Everything here works before `keras` is imported and never imports a backend
just to describe it: versions come from package metadata and devices from a
short-lived subprocess per backend, so `%keras_backend` costs the notebook
kernel nothing it did not already pay for.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kerasnb.backend import devices
from kerasnb.errors import KerasnbError, not_an_extension

load_ipython_extension = not_an_extension(__name__)

BACKENDS = ("jax", "torch", "tensorflow")
ALIASES = {"tf": "tensorflow", "pytorch": "torch"}
KERAS_DEFAULT_BACKEND = "tensorflow"

# The module that must import for a backend to be usable, the distribution
# that carries its version, and the command that installs it.
_PACKAGES = {
    "jax": ("jax", "jax", "%pip install jax"),
    "torch": ("torch", "torch", "%pip install torch"),
    "tensorflow": ("tensorflow", "tensorflow", "%pip install tensorflow"),
}

# Functions called with (old, new) after an in-place switch, so features that
# hold on to Keras classes (e.g. a patched Model.fit) can re-attach.
_switch_listeners: list[Callable[[str, str], None]] = []


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

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from kerasnb.views.backend import render_info

        return render_info(self)


@dataclass(frozen=True)
class SwitchResult:
    """What `set_backend` did, and what the user must redo."""

    previous: str
    current: str
    in_place: bool
    rebound: tuple[str, ...] = ()
    stale: tuple[tuple[str, str], ...] = ()  # (variable name, what it holds)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from kerasnb.views.backend import render_switch

        return render_switch(self)


def normalize_name(name: str) -> str:
    """Map a user-typed backend name (any case, aliases) to a Keras backend name.

    Raises:
        KerasnbError: for a name that is no backend, listing the valid ones.
    """
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in BACKENDS:
        valid = ", ".join(BACKENDS + tuple(ALIASES))
        raise KerasnbError(f"unknown backend {name!r}; use one of: {valid}")
    return key


def is_installed(name: str) -> bool:
    module = _PACKAGES[name][0]
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def keras_imported() -> bool:
    return sys.modules.get("keras") is not None


def configured_backend() -> tuple[str, str]:
    """The backend the next `import keras` will pick, and where that comes from.

    Follows the order Keras' own config module reads at import time:
    ~/.keras/keras.json (or $KERAS_HOME/keras.json), then KERAS_BACKEND.
    """
    if "KERAS_BACKEND" in os.environ:
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND environment variable"
    path = _keras_config_path()
    try:
        with open(path) as f:
            backend = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if backend:
        return str(backend), path
    return KERAS_DEFAULT_BACKEND, "Keras' default"


def _keras_config_path() -> str:
    if "KERAS_HOME" in os.environ:
        keras_dir = os.environ["KERAS_HOME"]
    else:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        keras_dir = os.path.join(base, ".keras")
    return os.path.expanduser(os.path.join(keras_dir, "keras.json"))


def active_backend() -> str:
    if keras_imported():
        import keras

        return str(keras.backend.backend())
    return configured_backend()[0]


def backend_info(probe_devices: bool = True) -> BackendInfo:
    """Describe the active backend and every installed one.

    Args:
        probe_devices: list each backend's devices. Backends the kernel has
            not imported are asked in a subprocess, once per session; without
            it only the imported backend's devices are listed.
    """
    imported = keras_imported()
    active = active_backend()
    source = "imported" if imported else configured_backend()[1]
    installed = [n for n in BACKENDS if is_installed(n)]
    found = devices.list_devices(
        installed if probe_devices else [n for n in installed if imported and n == active],
        in_process=active if imported else None,
    )
    statuses = tuple(_status(name, found.get(name)) for name in BACKENDS)
    info = BackendInfo(
        active=active,
        keras_imported=imported,
        source=source,
        keras_version=_version("keras"),
        backends=statuses,
    )
    if imported:
        import keras

        info = BackendInfo(
            **{
                **asdict(info),
                "backends": statuses,
                "floatx": keras.config.floatx(),
                "image_data_format": keras.config.image_data_format(),
                "dtype_policy": keras.config.dtype_policy().name,
            }
        )
    return info


def _status(name: str, found: devices.DeviceList | None) -> BackendStatus:
    installed = is_installed(name)
    return BackendStatus(
        name=name,
        installed=installed,
        version=_version(_PACKAGES[name][1]) if installed else None,
        install_command=_PACKAGES[name][2],
        devices=found.devices if found else None,
        devices_error=found.error if found else None,
    )


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def frontend_status() -> str:
    """A small JSON string for the JupyterLab status bar; cheap, never probes."""
    return json.dumps(
        {
            "backend": active_backend(),
            "keras_imported": keras_imported(),
            "keras_version": _version("keras"),
        }
    )


def add_switch_listener(listener: Callable[[str, str], None]) -> None:
    if listener not in _switch_listeners:
        _switch_listeners.append(listener)


def set_backend(name: str, namespace: dict[str, Any] | None = None) -> SwitchResult:
    """Choose the Keras backend, switching in place if Keras is already imported.

    Before `import keras` this only sets KERAS_BACKEND for that import. After,
    it calls Keras' own `keras.config.set_backend`, re-binds the names in
    `namespace` that refer to Keras modules, classes or functions, and lists
    the names whose objects belong to the old backend.

    Raises:
        KerasnbError: unknown name, or a backend that is not installed.
    """
    target = normalize_name(name)
    if not is_installed(target):
        raise KerasnbError(
            f"the {target} backend is not installed in this kernel's environment; "
            f"install it with `{_PACKAGES[target][2]}` and restart the kernel"
        )
    if not keras_imported():
        previous = configured_backend()[0]
        os.environ["KERAS_BACKEND"] = target
        return SwitchResult(previous=previous, current=target, in_place=False)
    previous = active_backend()
    if previous == target:
        return SwitchResult(previous=previous, current=target, in_place=True)
    from kerasnb.backend import switching

    rebound, stale = switching.switch_in_place(target, namespace or {})
    for listener in list(_switch_listeners):
        listener(previous, target)
    return SwitchResult(
        previous=previous, current=target, in_place=True, rebound=rebound, stale=stale
    )
