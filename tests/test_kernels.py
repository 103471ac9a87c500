"""The warm backend-kernel pool: real ipykernels, loopback, and no orphans.

The cells here import no backend, so kernels start in about a second each;
what is tested is the kernels' life, not Keras.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from kerasnb.comparison.backend_kernel import KernelStartError
from kerasnb.comparison.kernels import BackendKernels
from kernel_session import KernelSession

pytestmark = pytest.mark.kernel

BACKENDS = ("jax", "torch", "tensorflow")


@pytest.fixture(scope="module")
def pool() -> Iterator[BackendKernels]:
    os.environ["KERASNB_TEST_PARENT_ENV"] = "merged"
    pool = BackendKernels()
    try:
        pool.start(BACKENDS, timeout=180)
        yield pool
    finally:
        pool.close()
        del os.environ["KERASNB_TEST_PARENT_ENV"]


def _run(pool: BackendKernels, backend: str, code: str, timeout: float | None = 60):
    deadline = None if timeout is None else time.monotonic() + timeout
    return pool.submit(pool.kernel(backend).execute(code, deadline)).result()


def _gone(pids: list[int], within_s: float = 60) -> list[int]:
    """The pids still alive after waiting up to `within_s` for them to exit."""
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(procs, timeout=within_s)
    return [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_one_kernel_per_backend_with_the_parents_environment(pool: BackendKernels) -> None:
    pids = pool.pids()
    assert sorted(pids) == sorted(BACKENDS) and len(set(pids.values())) == 3
    for backend in BACKENDS:
        done = _run(pool, backend, "import os; print(os.environ['KERAS_BACKEND'], "
                    "os.environ['KERASNB_TEST_PARENT_ENV'], os.getpid(), os.getppid())")  # fmt: skip
        name, env, pid, parent = done.stdout.split()
        assert (name, env, int(pid), int(parent)) == (backend, "merged", pids[backend], os.getpid())


def test_kernels_listen_on_loopback_only(pool: BackendKernels) -> None:
    for backend, pid in pool.pids().items():
        listening = [c for c in psutil.Process(pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN]  # fmt: skip
        assert len(listening) >= 5, backend  # shell, iopub, stdin, control, heartbeat
        assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, backend


def test_kernels_stay_warm_between_runs(pool: BackendKernels) -> None:
    _run(pool, "jax", "warm = 41")
    before = pool.pids()
    pool.start(BACKENDS, timeout=60)
    assert pool.pids() == before
    assert _run(pool, "jax", "warm + 1").result == {"text/plain": "42"}


def test_a_dead_kernel_is_noticed_and_restarted(pool: BackendKernels) -> None:
    old = pool.pids()["torch"]
    done = _run(pool, "torch", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert (done.status, done.exit_code) == ("died", -signal.SIGKILL)
    assert "torch" not in pool.pids()
    pool.start(["torch"], timeout=120)
    assert pool.pids()["torch"] != old
    assert _run(pool, "torch", "1 + 1").result == {"text/plain": "2"}


def test_a_deadline_interrupts_and_a_stubborn_kernel_is_killed(pool: BackendKernels) -> None:
    interrupted = _run(pool, "jax", "import time; time.sleep(600)", timeout=1)
    assert interrupted.status == "timeout" and not interrupted.killed
    assert interrupted.error and interrupted.error["ename"] == "KeyboardInterrupt"
    assert "jax" in pool.pids()  # interrupted, still warm

    stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)"
    pid = pool.pids()["tensorflow"]
    killed = _run(pool, "tensorflow", stubborn, timeout=1)
    assert killed.status == "timeout" and killed.killed
    assert "tensorflow" not in pool.pids() and _gone([pid]) == []
    pool.start(BACKENDS, timeout=120)


def _kernelspec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> str:
    """A kernelspec whose launch runs `script` (sh; $0 is the connection file)."""
    folder = tmp_path / "kernels" / "kerasnb-test-start"
    folder.mkdir(parents=True)
    argv = ["/bin/sh", "-c", script, "{connection_file}"]
    spec = {"argv": argv, "display_name": "test", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    return "kerasnb-test-start"


def _sleeping_launches() -> list[int]:
    children = psutil.Process().children(recursive=True)
    return _gone([p.pid for p in children if p.name() == "sleep"], within_s=10)


def _start(pool: BackendKernels, answer_timeout_s: float) -> bool:
    kernel = pool.kernel("jax")
    kernel.answer_timeout_s = answer_timeout_s
    return pool.submit(kernel.ensure_running()).result(timeout=300)


def test_a_start_that_never_answers_is_tried_once_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first launch hangs without answering (what a start that lost a race on a
    # loaded machine looks like from here); the second is a real kernel.
    marker = tmp_path / "first-launch"
    launch = f'exec {sys.executable} -m ipykernel_launcher -f "$0"'
    name = _kernelspec(
        tmp_path, monkeypatch, f"mkdir {marker} 2>/dev/null && exec sleep 300\n{launch}"
    )
    pool = BackendKernels(kernel_name=name)
    try:
        assert _start(pool, answer_timeout_s=3) is True
        assert marker.is_dir() and _sleeping_launches() == []  # it ran, hung, and was killed
        assert _run(pool, "jax", "import keras; keras.backend.backend()").result == {
            "text/plain": "'jax'"
        }
    finally:
        pool.close()


def test_a_start_that_never_answers_twice_is_one_line_with_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _kernelspec(tmp_path, monkeypatch, "exec sleep 300")
    pool = BackendKernels(kernel_name=name)
    try:
        with pytest.raises(KernelStartError) as raised:
            _start(pool, answer_timeout_s=2)
        message = str(raised.value)
        assert message.startswith("the jax kernel did not start (2 tries): ")
        assert "\n" not in message and message.endswith("jax.log")
        assert _sleeping_launches() == []  # neither launch is left running
    finally:
        pool.close()


def _notebook_with_backend_kernels() -> tuple[KernelSession, list[int]]:
    notebook = KernelSession()
    notebook.ok("%load_ext kerasnb\nimport kerasnb")
    notebook.ok("%%keras_compare\nimport os\nos.getpid()")
    pids = notebook.value("sorted(kerasnb.compare_kernels().pids().values())")
    assert len(pids) == 3 and all(psutil.pid_exists(p) for p in pids)
    return notebook, pids


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    """Pids to SIGKILL after the test, should it fail and leave them running."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_unload_ext_stops_the_kernels(cleanup: list[int]) -> None:
    notebook, pids = _notebook_with_backend_kernels()
    cleanup.extend(pids)
    with notebook:
        notebook.ok("%unload_ext kerasnb")
        assert _gone(pids) == []
        assert notebook.value("kerasnb.compare_kernels().pids()") == {}


def test_kernels_stop_when_the_notebook_kernel_shuts_down(cleanup: list[int]) -> None:
    notebook, pids = _notebook_with_backend_kernels()
    cleanup.extend(pids)
    notebook.client.stop_channels()
    notebook.manager.shutdown_kernel(now=False)  # a normal exit runs atexit
    assert _gone(pids) == []


def test_no_orphans_when_the_notebook_kernel_is_sigkilled(cleanup: list[int]) -> None:
    notebook, pids = _notebook_with_backend_kernels()
    cleanup.extend(pids)
    os.kill(notebook.manager.provisioner.pid, signal.SIGKILL)
    try:
        assert _gone(pids) == []
    finally:
        notebook.shutdown()
