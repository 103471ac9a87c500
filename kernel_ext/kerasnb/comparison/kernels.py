"""Warm backend kernels: one real ipykernel per Keras backend.

Keras fixes its backend once per process, so running one cell on JAX, PyTorch
and TensorFlow needs three processes. Importing a backend costs seconds, so
each backend gets its own Jupyter kernel, started on first use and kept warm
between compares.

Kernels are started through jupyter_client's async API (and so through its
kernel provisioner interface, which is what lets the same code drive remote
kernels). The notebook's own kernel already runs an asyncio loop on its main
thread, so this module runs its loop in a private daemon thread; callers use
the thread-safe methods of `BackendKernels`.

No orphans: every backend kernel dies with the notebook kernel, even when that
is SIGKILLed (see `compare_agent.start`: PR_SET_PDEATHSIG plus a watchdog, on
top of ipykernel's own parent poller), and is shut down at `%unload_ext
kerasnb` and at interpreter exit.

This module imports no Keras: after a backend switch Keras drops every
`keras*` module, and kerasnb keeps only modules that hold no Keras objects, so
the warm kernels survive a switch in the notebook.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from kerasnb.comparison.backend_kernel import AGENT, BackendKernel, Execution, KernelStartError
from kerasnb.comparison.gateway import Gateway

__all__ = ["AGENT", "BackendKernel", "BackendKernels", "Execution", "KernelStartError"]

_T = TypeVar("_T")


class _LoopThread:
    """A private asyncio loop in a daemon thread; coroutines are submitted to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kerasnb-kernels")
        self.thread.daemon = True
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


class BackendKernels:
    """A warm pool of backend kernels, plus the setup cells each must replay.

    Thread-safe: public methods may be called from any thread; the kernels
    themselves are only touched on the pool's own event loop.

    Args:
        kernel_name: a local Jupyter kernel spec to start; None runs this very
            Python interpreter.
        gateway: start the kernels on this Jupyter Kernel Gateway instead
            (see comparison/gateway.py).
        setup: the setup cells to replay, shared with other pools (the
            notebook's local and gateway pools replay the same cells).
    """

    def __init__(
        self, kernel_name: str | None = None, gateway: Gateway | None = None,
        setup: list[tuple[str, str]] | None = None,
    ) -> None:  # fmt: skip
        self.kernel_name = kernel_name
        self.gateway = gateway
        self._dir = Path(tempfile.mkdtemp(prefix="kerasnb-kernels-"))
        self._loop: _LoopThread | None = None
        self._kernels: dict[str, BackendKernel] = {}
        self._setup = [] if setup is None else setup  # (key, source), in notebook order
        self._lock = threading.Lock()
        self.closed = False

    # -- used from the caller's thread --------------------------------------

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Run a coroutine on the pool's loop (starting it on first use)."""
        with self._lock:
            if self.closed:
                coro.close()
                raise RuntimeError("these backend kernels were closed; use a new pool")
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop.submit(coro)

    def start(self, backends: Sequence[str], timeout: float | None = None) -> None:
        """Start (or restart dead) kernels for `backends`, all at once."""
        self.submit(self._start_all(backends)).result(timeout)

    async def _start_all(self, backends: Sequence[str]) -> None:
        await asyncio.gather(*(self.kernel(b).ensure_running() for b in backends))

    def versions(self) -> dict[str, str | None]:
        """backend -> its package's version, for the kernels that ran a compare here."""
        return {b: k.version for b, k in self._kernels.items() if k.started}

    def pids(self) -> dict[str, int]:
        return {b: k.pid for b, k in self._kernels.items() if k.started and k.pid}

    def stop_fit(self, backend: str) -> bool:
        """Ask `backend`'s running fit to end after its current batch (the arena's Stop)."""
        kernel = self._kernels.get(backend)
        if kernel is None or self._loop is None:
            return False
        return self.submit(_send_control(kernel, {"type": "stop"})).result(10)

    def interrupt(self) -> None:
        """Interrupt every running kernel, like the notebook's stop button."""
        if self._loop is not None:
            self.submit(self._each("interrupt")).result(30)

    def stop(self) -> None:
        """Shut every kernel down; the next compare starts fresh ones."""
        if self._loop is not None and not self.closed:
            self.submit(self._each("stop")).result(30)

    def close(self) -> None:
        """Stop the kernels and the loop; forget the setup cells."""
        if self.closed:
            return
        try:
            self.stop()
        except Exception:  # the loop is gone or hung: the fallback below kills
            pass
        finally:
            self.kill()
            with self._lock:
                self.closed = True
                if self._loop is not None:
                    self._loop.close()
            shutil.rmtree(self._dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL whatever kernels remain; needs no event loop (exit, hangs)."""
        for pid in self.pids().values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    # -- setup cells ----------------------------------------------------------

    def add_setup(self, key: str, source: str) -> None:
        """Remember a setup cell; re-adding a key replaces it in place."""
        with self._lock:
            for i, (old, _) in enumerate(self._setup):
                if old == key:
                    self._setup[i] = (key, source)
                    return
            self._setup.append((key, source))

    def clear_setup(self) -> None:
        with self._lock:
            self._setup.clear()

    @property
    def setup_cells(self) -> tuple[str, ...]:
        return tuple(source for _, source in self._setup)

    # -- used on the pool's loop ----------------------------------------------

    def kernel(self, backend: str) -> BackendKernel:
        if backend not in self._kernels:
            self._kernels[backend] = BackendKernel(
                backend, self.kernel_name, self._dir, self.gateway
            )
        return self._kernels[backend]

    def pending_setup(self, kernel: BackendKernel) -> list[tuple[str, str]]:
        """Setup cells this kernel has not run in their current version."""
        with self._lock:
            return [cell for cell in self._setup if cell not in kernel.replayed]

    async def _each(self, method: str) -> None:
        await asyncio.gather(*(getattr(k, method)() for k in self._kernels.values()))


async def _send_control(kernel: BackendKernel, content: dict[str, Any]) -> bool:
    return kernel.send_control(content)


_pools: dict[str | None, BackendKernels] = {}  # gateway URL (None: local) -> the notebook's pool
_setup_cells: list[tuple[str, str]] = []  # %%keras_setup cells, replayed by every pool


def default_pool(gateway: Gateway | None = None) -> BackendKernels:
    """The notebook's shared pool (on `gateway`, if given), closed at `%unload_ext` and exit."""
    key = gateway.url if gateway else None
    pool = _pools.get(key)
    if pool is None or pool.closed or (gateway is not None and pool.gateway != gateway):
        if pool is not None and not pool.closed:
            pool.close()  # the same URL with another token or kernelspec
        pool = _pools[key] = BackendKernels(gateway=gateway, setup=_setup_cells)
        _at_exit(pool.close)
    return pool


def _at_exit(close: Any) -> None:
    """Close the pool at interpreter exit, quietly.

    A gateway's kernels are shut down through its REST API; at exit Python's
    thread pools may already refuse the work that needs, and jupyter_server's
    gateway client would log each refusal. What cannot be shut down then is
    culled by the gateway's own idle culling.
    """

    def quietly() -> None:
        import logging

        logging.disable(logging.CRITICAL)
        with contextlib.suppress(Exception):  # nothing more to do at exit
            close()

    atexit.register(quietly)


def default_pools() -> list[BackendKernels]:
    """Every pool the notebook has open (local, and one per gateway)."""
    return [pool for pool in _pools.values() if not pool.closed]


def close_default_pool() -> None:
    """Close every pool of the notebook (`%unload_ext`); setup cells are forgotten too."""
    for key, pool in list(_pools.items()):
        _pools.pop(key, None)
        pool.close()  # closing twice (here, then at exit) is harmless
    _setup_cells.clear()
