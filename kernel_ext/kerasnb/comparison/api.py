"""`kerasnb.compare`: one cell on several Keras backends at once, side by side.

Each backend runs the cell in its own warm kernel (see `kernels`), all at
once; results come back as plain data (`results`) and are shown by
`view`. State reaches the backend kernels in two ways only: pushed
variables (NumPy arrays and plain data, see `push`) and setup cells
replayed before each compare (`compare_setup`).

The package is `comparison`, not `compare`: importing a subpackage binds its
name on `kerasnb`, which would hide the public function `kerasnb.compare`.
"""

from __future__ import annotations

import concurrent.futures
import queue
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kerasnb.backend import names as backend_names
from kerasnb.comparison import gateway as gateways
from kerasnb.comparison import (
    parity,
    view,  # noqa: F401 - registers how a CompareResult looks
)
from kerasnb.comparison import push as compare_push
from kerasnb.comparison import run as compare_run
from kerasnb.comparison.kernels import BackendKernels, default_pool, default_pools
from kerasnb.comparison.results import CompareResult, GatewayInfo, ParityResult, RunResult
from kerasnb.errors import KerasnbError

DEFAULT_BACKENDS = backend_names.BACKENDS
_INTERRUPT_GRACE_S = 15.0


def compare(
    code: str,
    backends: Sequence[str] | str = DEFAULT_BACKENDS,
    timeout: float | None = None,
    push: Sequence[str] | str | Mapping[str, Any] | None = None,
    *,
    parity: bool | str = False,
    parity_data: Sequence[str] | str | None = None,
    tolerance: float = 1e-4,
    namespace: Mapping[str, Any] | None = None,
    show: bool = False,
    kernels: BackendKernels | None = None,
    repeat: int = 0,
    stream: bool = True,
    gateway: str | None = None,
) -> CompareResult:
    """Run `code` on every backend at once, each in its own warm kernel.

    Args:
        code: the cell to run, as a notebook would (magics, last expression).
        backends: names or aliases ("tf", "pytorch"), or one comma-separated string.
        timeout: seconds each backend may spend on setup replay and the cell;
            a backend past it is interrupted (killed if that fails).
        push: names of notebook variables to send first (NumPy arrays and plain
            data), or a mapping of name -> value.
        parity: start every backend from the reference's weights (the first
            backend's) and compare predictions and loss; a string names the
            model variable when the cell builds several.
        parity_data: the inputs (and targets) for parity; default: the first
            two pushed arrays.
        tolerance: parity flags |a - b| > tolerance * (1 + |b|).
        namespace: where pushed names are looked up; default: the notebook's.
        show: show the backends live while they run (the arena: status, progress,
            stdout, every backend's curves overlaid, Stop), then the result.
        kernels: the pool to run on; default: the notebook's shared pool.
        repeat: run the cell this many more times on each backend after the
            first; the timing is then the median of those runs, with its spread.
        stream: send each fit's points while it runs (the arena's curves);
            without it they arrive with the result.
        gateway: a Jupyter Kernel Gateway's URL to start the backend kernels
            on; default: the notebook's (`use_gateway`), else the
            KERASNB_GATEWAY_URL environment variable, else local kernels.
            Its token comes from KERASNB_GATEWAY_TOKEN.

    Returns:
        A `CompareResult`; `result.runs["jax"].ok`, `.value`, `.error`, ...

    Raises:
        KerasnbError: a mistake in the arguments (the message says the fix).
        KeyboardInterrupt: after interrupting every backend kernel.
    """
    names = _backend_list(backends)
    limit = _timeout(timeout)
    repeats = _repeat(repeat, parity)
    values = _push_values(push, namespace)
    pool = kernels or default_pool(gateways.resolve(gateway))
    job = compare_run.Job(
        code=code,
        backends=names,
        timeout=limit,
        push=compare_push.pack(values) if values else None,
        parity=_parity_job(parity, parity_data, values, tolerance, names),
        repeat=repeats,
        stream=bool(stream),
    )
    return _Runner(pool, job, show).run()


def call_backends(
    code: str,
    backends: Sequence[str] | str = DEFAULT_BACKENDS,
    *,
    timeout: float | None = None,
    push: Mapping[str, Any] | None = None,
    kernels: BackendKernels | None = None,
    gateway: str | None = None,
) -> dict[str, tuple[RunResult, dict[str, Any] | None]]:
    """Run `code` in every backend's warm kernel, after its setup cells and pushed data.

    For features that need the other backends (the doctor's parity and export
    checks): `code` imports a kerasnb module and calls a function that shows
    one report with `kerasnb.comparison.agent.report(data)`. Ctrl-C
    interrupts every backend, as for a compare.

    Returns:
        backend -> (its RunResult, the report its code showed, or None).
    """
    names = _backend_list(backends)
    values = _push_values(push, None) if push else {}
    pool = kernels or default_pool(gateways.resolve(gateway))
    job = compare_run.Job(
        code=code, backends=names, timeout=_timeout(timeout),
        push=compare_push.pack(values) if values else None, parity=None, call=code,
    )  # fmt: skip
    runner = _Runner(pool, job, show=False)
    runner.run()
    assert runner.outcome is not None
    return {b: (r, runner.outcome.reports.get(b)) for b, r in runner.outcome.runs.items()}


def compare_setup(
    code: str, *, key: str | None = None, run_here: bool = True,
    kernels: BackendKernels | None = None,
) -> None:  # fmt: skip
    """Run a setup cell here and replay it in every backend kernel before compares.

    Re-running the same notebook cell (or passing the same `key`) replaces
    the earlier version; backend kernels replay the new one at the next
    compare, and a restarted kernel replays them all.

    Raises:
        KerasnbError: the cell failed here (its traceback is shown first).
    """
    shell = _ipython()
    if run_here:
        if shell is None:
            raise KerasnbError("run_here=True needs IPython; pass run_here=False")
        if not shell.run_cell(code, store_history=False).success:
            raise KerasnbError(
                "the setup cell failed in the notebook (see above) and was not kept; "
                "fix it and run it again"
            )
    cell_id = _cell_id(shell)
    (kernels or default_pool()).add_setup(key or (f"cell:{cell_id}" if cell_id else code), code)


def _cell_id(shell: Any) -> str | None:
    """The notebook cell being run, as JupyterLab names it in the request."""
    try:
        return shell.kernel.get_parent()["metadata"].get("cellId")
    except (AttributeError, KeyError, TypeError):
        return None


def compare_kernels(gateway: str | None = None) -> BackendKernels:
    """The notebook's warm backend kernels (`.stop()` frees their memory)."""
    return default_pool(gateways.resolve(gateway))


def use_gateway(url: str | None) -> str:
    """Start every later compare's kernels on the gateway at `url` ("local" or None: here).

    Returns:
        A line saying where the backend kernels run now (never the token).

    Raises:
        KerasnbError: `url` is not an http(s) URL.
    """
    gateway = gateways.use_gateway(None if url in (None, "", "local") else url)
    if gateway is None:
        return "Backend kernels run on this machine."
    token = "with the token from " + gateways.ENV_TOKEN if gateway.token else "without a token"
    return f"Backend kernels run on the gateway at {gateway.url} ({token})."


def gateway_info(url: str | None = None) -> GatewayInfo | None:
    """Which kernelspec each backend runs in on the notebook's gateway; None without one."""
    gateway = gateways.resolve(url)
    if gateway is None:
        return None
    pool = default_pool(gateway)
    names = backend_names.BACKENDS
    try:
        specs, offered = pool.submit(gateways.describe(gateway, names)).result(60)
    except gateways.FaultError as err:
        return GatewayInfo(gateway.url, error=str(err))
    running = {b: v for b, v in pool.versions().items() if v}
    return GatewayInfo(gateway.url, specs, tuple(offered), running)


def stop_kernels() -> None:
    """Shut down every warm backend kernel of the notebook, local and on gateways."""
    for pool in default_pools():
        pool.stop()


# -- validation ------------------------------------------------------------------


def _backend_list(backends: Sequence[str] | str) -> tuple[str, ...]:
    items = backends.split(",") if isinstance(backends, str) else list(backends)
    names = tuple(dict.fromkeys(backend_names.normalize_name(b) for b in items if b.strip()))
    if not names:
        raise KerasnbError("no backend to compare; name some, e.g. backends=('jax', 'torch')")
    for name in names:
        if not backend_names.is_installed(name):
            raise KerasnbError(
                f"the {name} backend is not installed; install it with "
                f"`{backend_names.backend(name).install_command}` or leave it out of the backends"
            )
    return names


def _timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise KerasnbError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)


def _repeat(repeat: int, parity: bool | str) -> int:
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
        raise KerasnbError(
            f"repeat must be a whole number of extra runs (0 or more), not {repeat!r}"
        )
    if repeat and parity is not False and parity is not None:
        raise KerasnbError(
            "--repeat and --parity go in separate compares: parity shares one run's weights"
        )
    return repeat


def _names(value: Sequence[str] | str, what: str) -> list[str]:
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else list(value)
    bad = [n for n in names if not isinstance(n, str) or not n.isidentifier()]
    if bad or not names:
        raise KerasnbError(f"{what} takes variable names like x_train,y_train; got {value!r}")
    return names


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _push_values(
    push: Sequence[str] | str | Mapping[str, Any] | None, namespace: Mapping[str, Any] | None
) -> dict[str, Any]:
    if not push:
        return {}
    if isinstance(push, Mapping):
        return dict(zip(_names(list(push), "push"), push.values(), strict=True))
    if namespace is None:
        shell = _ipython()
        namespace = shell.user_ns if shell is not None else {}
    values = {}
    for name in _names(push, "push"):
        if name not in namespace:
            raise KerasnbError(
                f"no variable named {name!r} to push; run the cell that defines it first"
            )
        values[name] = namespace[name]
    return values


def _parity_job(
    wanted: bool | str, data: Sequence[str] | str | None, values: dict[str, Any],
    tolerance: float, backends: tuple[str, ...],
) -> parity.ParityJob | None:  # fmt: skip
    if wanted is False or wanted is None:
        return None
    model = wanted if isinstance(wanted, str) and wanted else None
    if model is not None:
        _names(model, "parity")
    if len(backends) < 2:
        raise KerasnbError("parity compares backends with each other; name at least two")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance <= 0:
        raise KerasnbError(f"tolerance must be a positive number, not {tolerance!r}")
    if data is not None:
        names = _names(data, "parity_data")
    else:
        import numpy as np

        names = [n for n, v in values.items() if isinstance(v, np.ndarray)][:2]
    if not 1 <= len(names) <= 2:
        raise KerasnbError(
            "parity needs inputs to predict on: push them (--push x,y) or name "
            "variables the cell defines (--parity-data x,y)"
        )
    return parity.ParityJob(
        reference=backends[0],
        inputs=names[0],
        targets=names[1] if len(names) > 1 else None,
        tolerance=float(tolerance),
        model=model,
    )


# -- running ---------------------------------------------------------------------------


class _Runner:
    """Waits for the backends on the caller's thread: shows them live, relays Stop and Ctrl-C."""

    def __init__(self, pool: BackendKernels, job: compare_run.Job, show: bool) -> None:
        self.pool, self.job, self.show = pool, job, show
        self.runs: dict[str, RunResult] = {}
        self.outcome: compare_run.Outcome | None = None
        self.events: queue.Queue[compare_run.Event | None] = queue.Queue()
        self.arena: Any = None

    def run(self) -> CompareResult:
        started = time.monotonic()
        future = self.pool.submit(compare_run.run_all(self.pool, self.job, self.events.put))
        future.add_done_callback(lambda _: self.events.put(None))
        if self.show and _in_kernel():
            from kerasnb.comparison.arena import ArenaDisplay

            self.arena = ArenaDisplay(self.job.backends, self._request)
        try:
            while (event := self.events.get()) is not None:
                self._handle(event)
        except KeyboardInterrupt:
            self._stop(future)
            raise
        self.outcome = future.result()
        result = self._result(self.outcome.runs, self.outcome.parity, time.monotonic() - started)
        if self.arena is not None:
            self.arena.finish(result)
        return result

    def _request(self, kind: str, backend: str) -> None:
        """From the browser, while the cell runs (any thread): queue it for the cell's thread."""
        self.events.put((kind, backend, None))

    def _handle(self, event: compare_run.Event) -> None:
        kind, backend, payload = event
        if kind == "done":
            self.runs[backend] = payload
        if self.arena is None:
            return
        if kind == "points":
            self.arena.points(backend, payload)
        elif kind == "stdout":
            self.arena.stdout(backend, payload)
        elif kind == "done":
            self.arena.run_done(backend, payload)
        elif kind == "ready":
            self.arena.replay()
        elif kind == "stop":
            for name in self.job.backends if backend == "*" else (backend,):
                if name in self.job.backends and name not in self.runs:
                    self.pool.stop_fit(name)
                    self.arena.stopping(name)

    def _result(
        self, runs: dict[str, RunResult], found: ParityResult | None = None,
        wall_s: float | None = None, done: bool = True,
    ) -> CompareResult:  # fmt: skip
        return CompareResult(self.job.code, self.job.backends, runs, found, wall_s, done)

    def _stop(self, future: concurrent.futures.Future[Any]) -> None:
        """Interrupt every backend and wait for them; a second Ctrl-C kills them."""
        self.job.cancelled.set()
        try:
            self.pool.interrupt()
            self.runs.update(future.result(timeout=_INTERRUPT_GRACE_S).runs)
        except (KeyboardInterrupt, concurrent.futures.TimeoutError):
            self.pool.kill()
        if self.arena is not None:
            self.arena.finish(self._result(dict(self.runs), done=True))


def _in_kernel() -> bool:
    shell = _ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
