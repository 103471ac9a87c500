"""Which Keras backend runs, which could, and switching between them.

Everything here works before `keras` is imported and never imports a backend
just to describe it: versions come from package metadata and devices from a
short-lived subprocess per backend, so `%keras_backend` costs the notebook
kernel nothing it did not already pay for.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from kerasnb.backend import (
    devices,
    names,
    view,  # noqa: F401 - registers how the data types look
)
from kerasnb.backend.info import BackendInfo, BackendStatus, SwitchResult
from kerasnb.backend.names import BACKENDS, KERAS_DEFAULT_BACKEND, is_installed, normalize_name
from kerasnb.errors import KerasnbError

# Functions called with (old, new) after an in-place switch, so features that
# hold on to Keras classes (e.g. a patched Model.fit) can re-attach.
_switch_listeners: list[Callable[[str, str], None]] = []


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
        version=_version(names.backend(name).distribution) if installed else None,
        install_command=names.backend(name).install_command,
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
    """Call `listener(previous, current)` after each in-place switch."""
    if listener not in _switch_listeners:
        _switch_listeners.append(listener)


def reset() -> None:
    """Forget the switch listeners (`%unload_ext`)."""
    _switch_listeners.clear()


def set_backend(
    name: str, namespace: dict[str, Any] | None = None, *, default: bool = False
) -> SwitchResult:
    """Choose the Keras backend, switching in place if Keras is already imported.

    Before `import keras` this only sets KERAS_BACKEND for that import. After,
    it calls Keras' own `keras.config.set_backend`, re-binds the names in
    `namespace` that refer to Keras modules, classes or functions, and lists
    the names whose objects belong to the old backend.

    Args:
        name: jax, torch or tensorflow (aliases: tf, pytorch).
        namespace: the user's variables, to re-bind and check after a switch.
        default: `name` is only this notebook's default: when KERAS_BACKEND is
            set in the environment (an instructor's or CI's choice), that
            backend is used instead. Tutorials choose their backend this way.

    Raises:
        KerasnbError: unknown name, or a backend that is not installed.
    """
    target = normalize_name(name)
    if default and os.environ.get("KERAS_BACKEND"):
        chosen = normalize_name(os.environ["KERAS_BACKEND"])
        result = set_backend(chosen, namespace)
        return replace(result, default=target, from_environment=True)
    if not is_installed(target):
        raise KerasnbError(
            f"the {target} backend is not installed in this kernel's environment; "
            f"install it with `{names.backend(target).install_command}` and restart the kernel"
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
