"""What kerasnb runs inside each backend kernel on behalf of `kerasnb.compare`.

The notebook kernel sends only calls into this module, with JSON strings and
file paths as arguments; everything comes back as data: one JSON report per
call (a display_data bundle of `REPORT_MIME`) and NumPy arrays in .npz files
loaded with `allow_pickle=False`. Nothing is pickled and nothing sent back is
code.

Keras (and so the backend) is imported once, when the kernel starts, so that
every fit, evaluate and predict of a compared cell can get kerasnb's
callbacks (curves, parity) through `kerasnb.shared.model_calls`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

from kerasnb.comparison import fit_stream, parity_agent
from kerasnb.comparison import push as compare_push
from kerasnb.comparison.control import Control
from kerasnb.shared.model_calls import CallbackInjection

REPORT_MIME = "application/vnd.kerasnb.compare-run+json"
_VALUE_CHARS = 2000
_OOM_NAMES = {"MemoryError", "_ArrayMemoryError", "OutOfMemoryError", "ResourceExhaustedError"}
_OOM_TEXT = ("out of memory", "can't allocate memory", "resource_exhausted", "failed to allocate")
_watchdog: threading.Thread | None = None
_fault_log: Any = None
_control = Control()  # the comm to the notebook: Stop, pushed data, parity's weights


# -- life and death -----------------------------------------------------------


def start(
    parent_pid: int, log_path: str | None = None, control_id: str | None = None,
    backend: str | None = None,
) -> None:  # fmt: skip
    """Die with the notebook kernel, leave a stack trace if we crash, open the control
    comm, choose the backend and import Keras.

    ipykernel polls its parent once a second; PR_SET_PDEATHSIG (Linux) makes
    the kernel die at once when its parent does, even by SIGKILL, and the
    watchdog thread covers systems without it (a gateway's kernels have no
    local parent: `parent_pid` 0). The control comm `control_id` carries
    Stop, pushed data and parity's weights (see control.py). `backend` is set
    here, before Keras is imported, for kernels whose environment the
    notebook could not set (a gateway passes only some variables).
    """
    global _watchdog, _fault_log
    if parent_pid > 0 and _watchdog is None:
        _set_parent_death_signal()
        if os.getppid() != parent_pid:  # the parent died before we asked
            os._exit(1)
        _watchdog = threading.Thread(target=_watch, args=(parent_pid,), name="kerasnb-watchdog")
        _watchdog.daemon = True
        _watchdog.start()
    if log_path and _fault_log is None:
        import faulthandler

        _fault_log = open(log_path, "a")  # noqa: SIM115 - open for the process' life
        faulthandler.enable(file=_fault_log, all_threads=False)
    if control_id and _control.comm is None:
        _control.open(control_id)
    if backend and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
    import keras  # noqa: F401 - the backend loads now, not inside the first compared cell


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def report(data: dict[str, Any]) -> None:
    """Send `data` (JSON-able) back to the notebook kernel as this call's report."""
    from IPython.display import display

    display({REPORT_MIME: data}, raw=True)


# -- state from the notebook ----------------------------------------------------


def push(push_id: str) -> None:
    """Bind the variables the notebook pushed just before (see `compare_push.pack`)."""
    shell = _shell()
    message = _control.inbox.pop(f"push:{push_id}", None)
    if message is None:
        raise RuntimeError("kerasnb: the pushed variables did not arrive; run the compare again")
    values = compare_push.unpack(message)
    shell.user_ns.update(values)
    report({"pushed": sorted(values)})


# -- running the compared cell ------------------------------------------------


def run(code: str, options: str) -> None:
    """Run the compared cell as a notebook would, then report on it as JSON.

    Args:
        code: the cell's source.
        options: JSON; "parity" holds parity's role and directory, if asked.
    """
    import keras

    opts = json.loads(options)
    shell = _shell()
    _control.new_cell()
    parity = (
        parity_agent.ParityHook(**opts["parity"], control=_control) if opts.get("parity") else None
    )
    if parity is not None:
        parity.begin(shell.user_ns)
    fits = fit_stream.CellFits(_control.stop, _send_points if opts.get("stream", True) else None)
    injection = CallbackInjection(keras.Model, _cell_callbacks(fits, parity))
    peak_resets = _reset_peak_memory()
    injection.install()
    started = time.perf_counter()
    try:
        result = shell.run_cell(code, store_history=False)
    finally:
        wall_s = time.perf_counter() - started
        injection.remove()
    err = result.error_before_exec or result.error_in_exec
    found: dict[str, Any] = {
        "wall_s": wall_s,
        "peak_mb": _peak_memory_mb() if peak_resets else None,
        "value": None if err else _value_text(shell, result.result),
        "error": _error(err) if err else None,
        "curves": fits.curves(),
        "timing": fits.timing(),
        "keras_backend": _keras_backend(),
        "version": _backend_version(),
    }
    if parity is not None:
        found["parity"] = parity.finish(shell.user_ns)
    report(found)


def _cell_callbacks(fits: fit_stream.CellFits, parity: parity_agent.ParityHook | None) -> Any:
    """What each fit, evaluate and predict of the cell gets: a recorder (fit), parity."""

    def choose(method: str, call: inspect.BoundArguments) -> Sequence[Any]:
        found = [fits.recorder(fit_stream.samples_per_step(call))] if method == "fit" else []
        return found + (parity.callbacks() if parity is not None else [])

    return choose


def _send_points(payload: dict[str, Any]) -> None:
    """New points of a running fit, to the notebook: a message of the control comm.

    Not a display: IPython's `display` first flushes stdout and waits for the
    IOPub thread, which would stall the fit at every send.
    """
    _control.send({"type": "points", **payload})


def parity_outputs(options: str) -> None:
    """Second parity step: predictions and loss on the reference's final weights."""
    report(parity_agent.outputs(_shell().user_ns, control=_control, **json.loads(options)))


def _shell() -> Any:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("kerasnb's compare agent runs inside an IPython kernel")
    return shell


def _value_text(shell: Any, value: Any) -> str | None:
    if value is None:
        return None
    try:
        text = shell.display_formatter.format(value)[0].get("text/plain")
    except Exception:
        text = None
    text = text if isinstance(text, str) else repr(value)
    return text if len(text) <= _VALUE_CHARS else text[:_VALUE_CHARS] + "…"


def _is_out_of_memory(err: BaseException) -> bool:
    """MemoryError, torch's OutOfMemoryError, TensorFlow's ResourceExhaustedError (or a
    subclass), or an allocator's message: torch and JAX on the CPU raise their generic
    errors with it."""
    names = {cls.__name__ for cls in type(err).__mro__}
    return bool(names & _OOM_NAMES) or any(t in str(err).lower() for t in _OOM_TEXT)


def _error(err: BaseException) -> dict[str, Any]:
    """The error as text, with IPython's own frames left out."""
    frames = [
        frame
        for frame in traceback.extract_tb(err.__traceback__)
        if "IPython" + os.sep + "core" not in frame.filename and __file__ != frame.filename
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(err), err)
    name = type(err).__name__
    text = str(err)
    return {
        "ename": name,
        "evalue": text,
        "traceback": "".join(lines) if frames else "".join(lines[-1:]),
        "oom": _is_out_of_memory(err),
        "interrupted": isinstance(err, KeyboardInterrupt),
    }


# -- memory -------------------------------------------------------------------


def _reset_peak_memory() -> bool:
    """Make the kernel's peak resident memory count from now (Linux >= 4.0).

    Returns False where that is impossible: the peak then covers the kernel's
    whole life, not the cell, so none is reported rather than a wrong one.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _peak_memory_mb() -> float | None:
    """The peak resident memory since the last reset (VmHWM), in MB."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _keras_backend() -> str | None:
    keras = sys.modules.get("keras")
    with contextlib.suppress(Exception):
        return str(keras.backend.backend()) if keras is not None else None
    return None


def _backend_version() -> str | None:
    import importlib.metadata

    name = os.environ.get("KERAS_BACKEND", "")
    with contextlib.suppress(importlib.metadata.PackageNotFoundError, ValueError):
        return importlib.metadata.version(name) if name else None
    return None
