"""The devices each backend can see, asked without importing it here.

Importing TensorFlow only to list a CPU costs the notebook kernel seconds and
hundreds of MB, so backends the kernel has not imported are asked in short
subprocesses (`python -m kerasnb.backend.devices NAME`), all at once, and the answer
is kept for the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

_TIMEOUT_S = 120
_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


@dataclass(frozen=True)
class DeviceList:
    devices: tuple[str, ...] = ()
    error: str | None = None


def _jax_devices() -> list[str]:
    import jax

    return [f"{d.platform}:{d.id} ({d.device_kind})" for d in jax.devices()]


def _torch_devices() -> list[str]:
    import torch

    found = ["cpu"]
    found += [
        f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())
    ]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def _tensorflow_devices() -> list[str]:
    import tensorflow as tf

    return [d.name for d in tf.config.list_logical_devices()]


_PROBES: dict[str, Callable[[], list[str]]] = {
    "jax": _jax_devices,
    "torch": _torch_devices,
    "tensorflow": _tensorflow_devices,
}
_cache: dict[str, DeviceList] = {}


def list_devices(backends: list[str], in_process: str | None = None) -> dict[str, DeviceList]:
    """Devices per backend; `in_process` names a backend this process already runs."""
    result: dict[str, DeviceList] = {}
    if in_process in backends:
        result[in_process] = _ask_here(in_process)
    todo = [b for b in backends if b not in result and b not in _cache]
    _cache.update(_ask_subprocesses(todo))
    result.update({b: _cache[b] for b in backends if b not in result})
    return result


def reset() -> None:
    """Forget the answers kept for the session (`%unload_ext`)."""
    _cache.clear()


def _ask_here(backend: str) -> DeviceList:
    try:
        return DeviceList(devices=tuple(_PROBES[backend]()))
    except Exception as err:  # a broken backend must not break %keras_backend
        return DeviceList(error=f"{type(err).__name__}: {err}")


def _ask_subprocesses(backends: list[str]) -> dict[str, DeviceList]:
    env = {**os.environ, **_QUIET_ENV}
    procs = {
        b: subprocess.Popen(
            [sys.executable, "-m", "kerasnb.backend.devices", b],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for b in backends
    }
    found: dict[str, DeviceList] = {}
    for backend, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            found[backend] = DeviceList(error=f"no answer within {_TIMEOUT_S} s")
            continue
        lines = out.strip().splitlines()
        if proc.returncode == 0 and lines:
            found[backend] = DeviceList(devices=tuple(json.loads(lines[-1])))
        else:
            tail = err.strip().splitlines() or [f"exited with code {proc.returncode}"]
            found[backend] = DeviceList(error=tail[-1])
    return found


if __name__ == "__main__":
    print(json.dumps(_PROBES[sys.argv[1]]()))
