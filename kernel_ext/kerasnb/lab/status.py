"""What the status bar and the switcher show: the backend, its device, the choices.

Asked after every cell, so the question is split in two: `fingerprint()` is
what can change (the backend, whether Keras is imported, whether its device
can be told yet) and costs a few microseconds; `current()` builds the whole
answer, and runs only when the fingerprint moved.

The device is asked in this process, of the backend Keras imported, and only
in ways that change nothing: asking must not start a runtime the user may
still want to configure. TensorFlow's logical devices would fix its thread
pools and GPU memory settings (`tf.config.threading...` then raises), so its
physical devices are listed; torch is asked for counts, which do not
initialise CUDA; JAX has no public question that leaves its backend alone,
so its devices are read once Keras started it (at the first model), through
one private flag read here and guarded: where it is missing, no device is shown.
"""

from __future__ import annotations

import importlib.metadata
import sys
from dataclasses import asdict, dataclass
from typing import Any

from kerasnb.backend import api, names


@dataclass(frozen=True)
class BackendChoice:
    """One entry of the switcher."""

    name: str
    label: str
    installed: bool
    install_command: str


@dataclass(frozen=True)
class KernelStatus:
    """The backend as a frontend shows it, plain and JSON-able."""

    backend: str
    keras_imported: bool
    keras_version: str | None
    device: str | None  # what Keras computes on ("cpu", "gpu", "cuda ×2"); None before import
    source: str  # "imported", or where the next import's backend comes from
    backends: tuple[BackendChoice, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Fingerprint = tuple[str, bool, bool]

_choices: tuple[BackendChoice, ...] | None = None
_keras_version: list[str | None] = []
_device_labels: dict[str, str | None] = {}


def fingerprint() -> Fingerprint:
    """What a cell can change about the status, cheaply: backend, import, device known."""
    backend, imported = api.active_backend(), api.keras_imported()
    return backend, imported, imported and _device_can_be_told(backend)


def current() -> KernelStatus:
    backend, imported, device_known = fingerprint()
    return KernelStatus(
        backend=backend,
        keras_imported=imported,
        keras_version=_version_of_keras(),
        device=_device(backend) if device_known else None,
        source="imported" if imported else api.configured_backend()[1],
        backends=_backend_choices(),
    )


def device_label(found: tuple[str, ...]) -> str | None:
    """The kind of device Keras computes on, from a backend's device names.

    Keras picks an accelerator when there is one (JAX's default device, the
    torch backend's cuda/mps, TensorFlow's GPU), so the first kind that is
    not the CPU wins; several of them read "gpu ×4".

    >>> device_label(("cpu:0 (cpu)",)), device_label(("/device:CPU:0", "/device:GPU:0"))
    ('cpu', 'gpu')
    """
    kinds = [_kind(name) for name in found]
    if not kinds:
        return None
    chosen = next((kind for kind in kinds if kind != "cpu"), "cpu")
    count = kinds.count(chosen)
    return chosen if count == 1 else f"{chosen} ×{count}"


def _kind(device: str) -> str:
    name = device.strip().removeprefix("/device:").removeprefix("/physical_device:")
    return name.split(":", 1)[0].split(" ", 1)[0].lower()


def _device_can_be_told(backend: str) -> bool:
    if backend != "jax":
        return True
    try:
        from jax._src import xla_bridge  # private: the one flag JAX keeps for this

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):
        return False


def _device(backend: str) -> str | None:
    if backend not in _device_labels:
        try:
            found = _DEVICE_NAMES[backend]()
        except Exception:  # a broken backend must not break the status bar
            found = None
        _device_labels[backend] = device_label(found) if found is not None else None
    return _device_labels[backend]


def _jax_devices() -> tuple[str, ...]:
    import jax

    return tuple(f"{d.platform}:{d.id}" for d in jax.devices())  # started by Keras already


def _torch_devices() -> tuple[str, ...]:
    import torch

    found = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]  # no CUDA init
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return tuple(found)


def _tensorflow_devices() -> tuple[str, ...]:
    tf = sys.modules["tensorflow"]  # imported by Keras; physical devices start nothing
    return tuple(d.name for d in tf.config.list_physical_devices())


_DEVICE_NAMES = {"jax": _jax_devices, "torch": _torch_devices, "tensorflow": _tensorflow_devices}


def _backend_choices() -> tuple[BackendChoice, ...]:
    global _choices
    if _choices is None:
        _choices = tuple(
            BackendChoice(
                name=name,
                label=names.backend(name).label,
                installed=names.is_installed(name),
                install_command=names.backend(name).install_command,
            )
            for name in names.BACKENDS
        )
    return _choices


def _version_of_keras() -> str | None:
    if not _keras_version:
        try:
            _keras_version.append(importlib.metadata.version("keras"))
        except importlib.metadata.PackageNotFoundError:
            _keras_version.append(None)
    return _keras_version[0]


def reset() -> None:
    """Forget what was asked once per session (`%unload_ext`)."""
    global _choices
    _choices = None
    _keras_version.clear()
    _device_labels.clear()
