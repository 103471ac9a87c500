"""kerasnb.compare, %%keras_compare and %%keras_setup.

First the plain data and views in this process; then real compares driven
from a real notebook kernel, each on real JAX, PyTorch and TensorFlow
kernels: success, push, setup replay, curves, parity, and every fault.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from kerasnb.comparison import fit_stream
from kerasnb.comparison import push as compare_push
from kerasnb.comparison.kernels import BackendKernels
from kerasnb.comparison.parity import diff
from kerasnb.comparison.results import (
    CompareResult,
    Curve,
    ParityDiff,
    ParityResult,
    RunResult,
    Timing,
)
from kerasnb.comparison.view import render
from kerasnb.errors import KerasnbError
from kerasnb.live.metric_stream import MetricStream
from kernel_session import KernelSession, Reply
from widget_client import RunningCell, send_custom

BACKENDS = ("jax", "torch", "tensorflow")
EVIL = "<img src=x onerror=alert(1)>"

# -- plain data and views, no kernels ------------------------------------------


def test_push_round_trips_arrays_and_plain_data() -> None:
    values = {
        "x": np.arange(6, dtype=np.float32).reshape(2, 3),
        "labels": np.array(["a", "b"]),
        "n": np.int64(7),
        "meta": {"name": "digits", "split": (0.8, 0.2), "parts": [np.ones(2), None, True]},
    }
    message = compare_push.pack(values)
    back = compare_push.unpack(json.loads(json.dumps(message)))  # what the protocol carries
    assert back["x"].dtype == np.float32 and back["x"].tolist() == values["x"].tolist()
    assert back["labels"].tolist() == ["a", "b"] and back["n"] == 7
    assert back["meta"]["split"] == (0.8, 0.2) and back["meta"]["parts"][1:] == [None, True]
    assert back["meta"]["parts"][0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        (lambda: 1, "define it in a %%keras_setup cell"),
        (np.array([object()]), "convert it to a numeric or string dtype first"),
        ({1: "a"}, "only dicts with string keys"),
        (Path("."), "push NumPy arrays or plain Python data"),
    ],
)
def test_push_refuses_what_would_need_a_pickle(value: Any, fix: str) -> None:
    with pytest.raises(KerasnbError, match=r"cannot push v.*" + fix.replace("%", ".")):
        compare_push.pack({"v": value})


def test_parity_diff_measures_and_flags() -> None:
    reference = [np.array([[1.0, 2.0], [0.0, -4.0]])]
    close = [reference[0] + 1e-6]
    found = diff(reference, close, 1e-4, "torch", reference_loss=0.5, loss=0.5 + 2e-7)
    assert not found.flagged and found.max_abs == pytest.approx(1e-6)
    assert found.max_rel == pytest.approx(1e-6 / 1e-4)  # |ref| below tolerance counts as it
    assert found.loss_abs == pytest.approx(2e-7)
    assert diff(reference, [reference[0] + 1e-3], 1e-4, "tf").flagged
    assert diff(reference, [reference[0] * np.nan], 1e-4, "tf").flagged
    assert diff(reference, close, 1e-4, "tf", 0.5, 0.6).flagged
    assert diff(reference, [np.ones(3)], 1e-4, "tf").error.startswith("output shapes differ")


def _result(**runs: RunResult) -> CompareResult:
    return CompareResult(code="x", backends=BACKENDS, runs=dict(runs), wall_s=1.5)


def _recorded_fit(sends: list[tuple[float, float]]) -> fit_stream.FitRecord:
    """Two epochs of four 10 ms steps from clock 0, with these (clock, seconds) sends."""
    record = fit_stream.FitRecord(0, samples_per_step=8, started=0.0, sends=sends)
    record.stream = MetricStream("fit", epochs=2, steps=4)
    for epoch in range(2):
        for step in range(4):
            record.batch_ends.append((epoch, (epoch * 4 + step + 1) * 0.01))
        record.epoch_ends.append((epoch + 1) * 0.04)
        record.batch_ends.append((epoch + 1, (epoch + 1) * 0.04))
    return record


def test_stream_share_counts_the_sends_inside_the_steady_steps_only() -> None:
    # Steady steps: from the first epoch's end (clock 0.04) to the last one's (0.08);
    # the send at the first epoch's end is inside them (the next step waits for it).
    inside = [(0.04, 0.001), (0.06, 0.002)]
    outside = [(0.0, 0.5), (0.02, 0.5), (0.08, 0.5)]  # in the first epoch, after the fit
    timing = _recorded_fit(inside + outside).timing()
    assert timing is not None
    assert timing["stream_share"] == pytest.approx(0.003 / 0.04)
    assert timing["step_s"] == pytest.approx(0.01)
    assert _recorded_fit([]).timing()["stream_share"] is None  # type: ignore[index]


def test_view_shows_backends_side_by_side_with_curves() -> None:
    curves = (Curve("loss", (1.0, 0.5)), Curve("val_loss", (1.1, 0.7)))
    result = _result(
        jax=RunResult("jax", "ok", value="6.0", wall_s=0.25, peak_mb=512, curves=curves),
        torch=RunResult("torch", "crashed", error="the kernel died: SIGSEGV", traceback="Fatal"),
    )
    bundle = render(result)
    text, html = bundle["text/plain"], bundle["text/html"]
    assert text.splitlines()[0] == (
        "keras_compare — jax: ok, torch: crashed, tensorflow: running… (1.5 s)"
    )
    assert "wall time    0.25 s" in text and "--- torch: crashed ---" in text
    assert html.count('class="kerasnb-compare-backend"') == 3
    assert 'data-backend="tensorflow" data-row="status" data-status="running"' in html
    assert 'class="kerasnb-compare-curves"' in html and "data:image/png;base64," in html


def test_the_verdict_says_how_much_slower_in_plain_numbers() -> None:
    def run(backend: str, step_s: float) -> RunResult:
        return RunResult(backend, "ok", timing=Timing(step_s=step_s))

    result = _result(
        jax=run("jax", 0.0004), torch=run("torch", 0.0488), tensorflow=run("tensorflow", 0.00236)
    )
    line = render(result)["text/plain"]
    assert (
        "Fastest steady-state step: jax (400 µs); torch 122x slower; tensorflow 5.9x slower" in line
    )


def test_view_escapes_everything_user_provided() -> None:
    parity = ParityResult(
        "jax", 1e-4, inputs="x", diffs={"torch": ParityDiff("torch", error=EVIL)}, model=EVIL
    )
    run = RunResult("jax", "error", value=EVIL, error=EVIL, traceback=EVIL, stdout=EVIL,
                    stderr=EVIL, outputs=(EVIL,), curves=(Curve(EVIL, (1.0,)),))  # fmt: skip
    result = CompareResult(EVIL, BACKENDS, {"jax": run}, parity=parity)
    html = render(result)["text/html"]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_mistakes_fail_before_any_kernel_starts() -> None:
    import kerasnb

    pool = BackendKernels()
    try:
        cases = [
            ({"backends": "jax,mxnet"}, "unknown backend 'mxnet'; use one of"),
            ({"backends": ""}, "no backend to compare"),
            ({"timeout": 0}, "timeout must be a positive number"),
            ({"push": "x"}, "no variable named 'x' to push; run the cell that defines it"),
            ({"push": "x-y"}, "push takes variable names"),
            ({"parity": True}, "parity needs inputs to predict on"),
            ({"parity": True, "backends": "jax"}, "name at least two"),
        ]
        for kwargs, message in cases:
            with pytest.raises(KerasnbError, match=message):
                kerasnb.compare("1", kernels=pool, namespace={}, **kwargs)
        assert pool.pids() == {}
    finally:
        pool.close()


# -- real compares from a notebook kernel ------------------------------------------

MODEL_SETUP = """%%keras_setup
import keras
def make_model():
    return keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
"""


@pytest.fixture(scope="module")
def notebook() -> Iterator[KernelSession]:
    """The notebook kernel, whose warm backend kernels the tests share."""
    with KernelSession() as kernel:
        kernel.ok(
            "%load_ext kerasnb\n"
            "import json, kerasnb, numpy as np\n"
            "rng = np.random.default_rng(0)\n"
            "x = rng.normal(size=(64, 8)).astype('float32')\n"
            "y = (x[:, 0] > 0).astype('int32')\n"
            "meta = {'name': 'toy', 'split': (48, 16)}"
        )
        yield kernel


def _compare(notebook: KernelSession, options: str, body: str) -> tuple[Reply, dict[str, Any]]:
    """Run a %%keras_compare cell; returns the reply and the result as plain data."""
    reply = notebook.ok(f"%%keras_compare -o _r {options}\n{body}", timeout=600)
    return reply, json.loads(notebook.value("json.dumps(_r.to_dict())"))


def _final_bundle(reply: Reply) -> dict[str, str]:
    return (reply.updates or reply.outputs)[-1]["data"]


def _pids(notebook: KernelSession) -> dict[str, int]:
    return notebook.value("kerasnb.compare_kernels().pids()")


@pytest.fixture
def light_setup(notebook: KernelSession) -> None:
    """Setup cells that import nothing, so restarting a crashed kernel is quick."""
    notebook.ok("%keras_setup --clear")
    notebook.ok("%%keras_setup\nMARKER = 'replayed'")


@pytest.mark.backends
@pytest.mark.kernel
def test_usage_errors_are_one_line_and_start_nothing(notebook: KernelSession) -> None:
    notebook.ok("def f(): pass")
    for cell, message in [
        ("%%keras_compare --backends mxnet\n1", "unknown backend 'mxnet'"),
        ("%%keras_compare --push f\n1", "cannot push f: it is a function or class"),
        ("%keras_compare", "put it on the first line of a cell"),
        ("%%keras_compare --timeout -1\n1", "timeout must be a positive number"),
    ]:
        reply = notebook.run(cell)
        assert reply.status == "error" and reply.error is None, cell  # no traceback
        assert reply.error_line.startswith("UsageError: ") and message in reply.error_line
        assert "\n" not in reply.error_line
    assert _pids(notebook) == {}

    broken = notebook.run("%%keras_setup\nBROKEN = 1 / 0")
    assert broken.error and broken.error["ename"] == "ZeroDivisionError"  # its own traceback
    assert "UsageError: the setup cell failed in the notebook (see above)" in broken.stderr
    assert notebook.value("kerasnb.compare_kernels().setup_cells") == ()


@pytest.mark.backends
@pytest.mark.kernel
def test_a_cell_runs_on_every_backend_side_by_side(notebook: KernelSession) -> None:
    reply, result = _compare(
        notebook,
        "",
        "import keras\n"
        "print('hello from', keras.backend.backend())\n"
        "keras.ops.convert_to_numpy(keras.ops.sum(keras.ops.ones((2, 3)))).item()",
    )
    assert result["ok"] and list(result["runs"]) == list(BACKENDS)
    for backend, run in result["runs"].items():
        assert (run["status"], run["value"], run["error"]) == ("ok", "6.0", None)
        assert run["stdout"] == f"hello from {backend}\n"
        assert run["wall_s"] > 0 and run["peak_mb"] > 0 and run["version"]
    shown = reply.outputs[0]["data"]  # the live arena at once, its static twin at the end
    assert "application/vnd.jupyter.widget-view+json" in shown
    assert shown["text/plain"].startswith("keras_compare — jax, torch, tensorflow: running")
    bundle = _final_bundle(reply)
    assert bundle["text/plain"].startswith("keras_compare — jax: ok, torch: ok, tensorflow: ok")
    assert bundle["text/html"].count('class="kerasnb-compare-backend"') == 3


@pytest.mark.backends
@pytest.mark.kernel
def test_setup_cells_and_pushed_data_reach_every_backend(notebook: KernelSession) -> None:
    notebook.ok(MODEL_SETUP)
    notebook.ok("kerasnb.compare_setup('LEVEL = 1', key='level', run_here=False)")
    notebook.ok("kerasnb.compare_setup('LEVEL = 2', key='level', run_here=False)")
    reply, result = _compare(
        notebook,
        "--push x,y,meta",
        "model = make_model()\n"
        "model.compile('sgd', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "model.fit(x, y, epochs=2, batch_size=16, verbose=0)\n"
        "meta['name'], meta['split'], x.shape, LEVEL",
    )
    for run in result["runs"].values():
        assert run["ok"] and run["value"] == "('toy', (48, 16), (64, 8), 2)"
        curves = {c["metric"]: c["values"] for c in run["curves"]}
        assert set(curves) == {"loss", "accuracy"} and len(curves["loss"]) == 2
    assert 'class="kerasnb-compare-curves"' in _final_bundle(reply)["text/html"]


@pytest.mark.backends
@pytest.mark.kernel
def test_parity_starts_every_backend_from_the_same_weights(notebook: KernelSession) -> None:
    notebook.ok(MODEL_SETUP)
    _, result = _compare(
        notebook,
        "--push x,y --parity",
        "model = make_model()\n"
        "model.compile('sgd', 'sparse_categorical_crossentropy')\n"
        "history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)",
    )
    parity = result["parity"]
    assert (parity["error"], parity["model"], parity["equalized"]) == (None, "model", True)
    assert parity["reference"] == "jax" and parity["reference_loss"] > 0
    for backend in ("torch", "tensorflow"):
        found = parity["diffs"][backend]
        assert not found["flagged"] and found["max_abs"] <= 1e-4 and found["loss_abs"] <= 1e-4
    first_losses = [r["curves"][0]["values"][0] for r in result["runs"].values()]
    assert max(first_losses) - min(first_losses) <= 1e-4 * (1 + abs(first_losses[0]))


@pytest.mark.backends
@pytest.mark.kernel
def test_parity_flags_backends_beyond_the_tolerance(notebook: KernelSession) -> None:
    reply, result = _compare(
        notebook,
        "--push x --parity --tolerance 1e-5",
        "import keras\n"
        "shift = 0.0 if keras.backend.backend() == 'jax' else 0.05\n"
        "inputs = keras.Input((8,))\n"
        "outputs = keras.layers.Lambda(lambda t: t + shift)(keras.layers.Dense(2)(inputs))\n"
        "model = keras.Model(inputs, outputs)\n"
        "model.predict(x, verbose=0).shape",
    )
    diffs = result["parity"]["diffs"]
    assert all(diffs[b]["flagged"] for b in ("torch", "tensorflow"))
    assert diffs["torch"]["max_abs"] == pytest.approx(0.05, rel=1e-3)
    assert "✗ beyond 1e-05" in _final_bundle(reply)["text/html"]


@pytest.mark.backends
@pytest.mark.kernel
def test_errors_and_crashes_stay_in_their_column(
    notebook: KernelSession, light_setup: None
) -> None:
    reply, result = _compare(
        notebook,
        "",
        "import ctypes, os\n"
        "backend = os.environ['KERAS_BACKEND']\n"
        "if backend == 'jax':\n    raise ValueError('only on jax <b>')\n"
        "if backend == 'torch':\n    os.abort()\n"
        "ctypes.string_at(0)  # tensorflow: segmentation fault",
    )
    jax, torch, tf = (result["runs"][b] for b in BACKENDS)
    assert (jax["status"], jax["error"]) == ("error", "ValueError: only on jax <b>")
    assert "raise ValueError('only on jax <b>')" in jax["traceback"]
    assert torch["status"] == "crashed" and "SIGABRT (aborted)" in torch["error"]
    assert "Fatal Python error: Aborted" in torch["traceback"]
    assert tf["status"] == "crashed" and "SIGSEGV (segmentation fault)" in tf["error"]
    assert "Fatal Python error: Segmentation fault" in tf["traceback"]
    assert "only on jax &lt;b&gt;" in _final_bundle(reply)["text/html"]


OOM_OR_KILL = """import os, resource, signal
import numpy as np
backend = os.environ["KERAS_BACKEND"]
if backend == "jax":  # a memory limit just above what the kernel uses now
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as status:
        size = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + 2**28, hard))
    try:
        big = np.ones(2**31, dtype=np.uint8)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
if backend == "torch":
    os.kill(os.getpid(), signal.SIGKILL)
"survived"
"""


@pytest.mark.backends
@pytest.mark.kernel
def test_out_of_memory_and_sigkill_then_dead_kernels_restart(
    notebook: KernelSession, light_setup: None
) -> None:
    _compare(notebook, "", "MARKER")
    before = _pids(notebook)
    _, result = _compare(notebook, "", OOM_OR_KILL)
    jax, torch, tf = (result["runs"][b] for b in BACKENDS)
    assert jax["status"] == "oom" and jax["error"].startswith("MemoryError: Unable to allocate")
    assert (
        torch["status"] == "crashed"
        and "SIGKILL (killed, e.g. by the system's out-of-memory killer)" in torch["error"]
    )
    assert (tf["status"], tf["value"]) == ("ok", "'survived'")

    _, again = _compare(notebook, "", "MARKER")
    assert all(r["value"] == "'replayed'" for r in again["runs"].values())
    after = _pids(notebook)
    assert after["jax"] == before["jax"] and after["tensorflow"] == before["tensorflow"]
    assert after["torch"] != before["torch"] and not _alive(before["torch"])


REAL_OOM = """import os
backend = os.environ["KERAS_BACKEND"]
size = 2**46  # 64 TiB: every allocator refuses it at once, nothing is touched
if backend == "jax":
    import jax.numpy as jnp
    jnp.zeros(size, jnp.uint8).block_until_ready()
if backend == "torch":
    import torch
    torch.empty(size, dtype=torch.uint8)
if backend == "tensorflow":
    import tensorflow as tf
    tf.zeros([size], tf.uint8)
"""


@pytest.mark.backends
@pytest.mark.kernel
def test_each_backends_own_out_of_memory_error_is_out_of_memory(
    notebook: KernelSession, light_setup: None
) -> None:
    _, result = _compare(notebook, "", REAL_OOM)
    jax, torch, tf = (result["runs"][b] for b in BACKENDS)
    assert [r["status"] for r in (jax, torch, tf)] == ["oom"] * 3
    assert jax["error"].startswith("JaxRuntimeError: RESOURCE_EXHAUSTED: Out of memory")
    assert torch["error"].startswith("RuntimeError: ") and "can't allocate memory" in torch["error"]
    assert tf["error"].startswith("ResourceExhaustedError: ")
    # torch raises OutOfMemoryError only on an accelerator, which this machine lacks: the
    # class itself stands in for one here.
    _, gpu = _compare(
        notebook,
        "--backends torch",
        "import torch\nraise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2 GiB')",
    )
    assert gpu["runs"]["torch"]["status"] == "oom"


@pytest.mark.backends
@pytest.mark.kernel
def test_peak_memory_is_the_cells_own(notebook: KernelSession, light_setup: None) -> None:
    _, big = _compare(
        notebook, "--backends jax", "import numpy as np\nblock = np.ones(2**27)\ndel block"
    )
    _, small = _compare(notebook, "--backends jax", "1 + 1")
    big_mb, small_mb = big["runs"]["jax"]["peak_mb"], small["runs"]["jax"]["peak_mb"]
    assert big_mb > 1000  # the GiB the first cell held counts in its peak ...
    assert small_mb < big_mb - 800  # ... and not in the next cell's


HANG = """import os, signal, time
backend = os.environ["KERAS_BACKEND"]
if backend == "torch":  # deaf to the interrupt
    signal.signal(signal.SIGINT, signal.SIG_IGN)
if backend != "tensorflow":
    time.sleep(600)
"on time"
"""


@pytest.mark.backends
@pytest.mark.kernel
def test_a_hang_past_the_timeout_is_interrupted_or_killed(
    notebook: KernelSession, light_setup: None
) -> None:
    _compare(notebook, "", "MARKER")  # every kernel warm: only the cell counts
    before = _pids(notebook)
    _, result = _compare(notebook, "--timeout 10", HANG)
    jax, torch, tf = (result["runs"][b] for b in BACKENDS)
    assert jax["status"] == "timeout" and jax["error"].endswith("so kerasnb interrupted it")
    assert torch["status"] == "timeout" and "killed it" in torch["error"]
    assert (tf["status"], tf["value"]) == ("ok", "'on time'")
    after = _pids(notebook)
    assert after["jax"] == before["jax"] and "torch" not in after
    assert not _alive(before["torch"])


@pytest.mark.backends
@pytest.mark.kernel
def test_interrupting_the_notebook_interrupts_every_backend(
    notebook: KernelSession, light_setup: None, tmp_path: Path
) -> None:
    notebook.ok(f"marks = {str(tmp_path)!r}")
    code = (
        "%%keras_compare --push marks\n"
        "import os, pathlib, time\n"
        "mark = pathlib.Path(marks) / os.environ['KERAS_BACKEND']\n"
        "mark.with_suffix('.started').touch()\n"
        "try:\n    time.sleep(600)\n"
        "except KeyboardInterrupt:\n    mark.with_suffix('.interrupted').touch()\n    raise\n"
    )
    replies: list[Reply] = []
    runner = threading.Thread(target=lambda: replies.append(notebook.run(code, timeout=600)))
    runner.start()
    try:
        started = [tmp_path / f"{b}.started" for b in BACKENDS]
        _wait_for(lambda: all(p.exists() for p in started), runner)
        pids = _backend_pids_while_busy(notebook)
        notebook.manager.interrupt_kernel()
    finally:
        runner.join(timeout=600)
    assert replies and replies[0].error and replies[0].error["ename"] == "KeyboardInterrupt"
    assert all((tmp_path / f"{b}.interrupted").exists() for b in BACKENDS)
    assert len(pids) == len(BACKENDS) and all(_alive(pid) for pid in pids)  # not killed
    assert "interrupted" in (replies[0].updates or replies[0].outputs)[-1]["data"]["text/plain"]


def _alive(pid: int) -> bool:
    """Running, not merely present: a killed child stays a zombie until it is reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(condition: Any, runner: threading.Thread) -> None:
    """Wait until `condition()` holds, or fail if the cell ended first."""
    event = threading.Event()
    while not condition():
        if not runner.is_alive():
            raise AssertionError("the compare ended before every backend started")
        event.wait(0.05)


def _backend_pids_while_busy(notebook: KernelSession) -> list[int]:
    """Backend pids, read without the busy notebook kernel: via its children."""
    notebook_pid = notebook.manager.provisioner.pid
    children = psutil.Process(notebook_pid).children()
    return [c.pid for c in children if "ipykernel_launcher" in " ".join(c.cmdline())]


# -- the live arena -----------------------------------------------------------------

ARENA = "ArenaView"


class Arena:
    """Watches one running compare's arena from the kernel protocol, as the page would."""

    def __init__(self, notebook: KernelSession, cell: str) -> None:
        self.notebook = notebook
        self.cell = RunningCell(notebook, cell)
        self.comm_id: str | None = None
        self.points: dict[str, int] = {}  # backend -> points messages seen while running
        self.columns: dict[str, Any] = {}

    def see(self, msg: dict[str, Any]) -> None:
        content = msg["content"]
        if msg["msg_type"] == "comm_open":
            if content["data"]["state"].get("_anywidget_id", "").endswith(ARENA):
                self.comm_id = content["comm_id"]
        elif msg["msg_type"] == "comm_msg" and content["comm_id"] == self.comm_id:
            data = content["data"]
            if data.get("method") == "custom" and data["content"].get("type") == "points":
                backend = data["content"]["backend"]
                self.points[backend] = self.points.get(backend, 0) + 1
            state = data.get("state", {})
            if "columns" in state:
                self.columns = state["columns"]

    def until(self, condition: Any) -> None:
        def watch(msg: dict[str, Any]) -> bool:
            self.see(msg)
            return bool(condition(self))

        self.cell.watch(watch, timeout=600)

    def finish(self) -> Reply:
        self.until(lambda arena: False)
        return self.cell.reply


LONG_FIT = """%%keras_compare --push x,y -o _r
import os
model = make_model()
model.compile("adam", "sparse_categorical_crossentropy")
epochs = {"torch": 400}.get(os.environ["KERAS_BACKEND"], 4)
len(model.fit(x, y, epochs=epochs, batch_size=8, verbose=0).history["loss"])
"""


@pytest.mark.backends
@pytest.mark.kernel
def test_points_stream_while_the_compare_runs_and_stop_ends_one_backend(
    notebook: KernelSession,
) -> None:
    notebook.ok(MODEL_SETUP)
    arena = Arena(notebook, LONG_FIT)
    arena.until(lambda a: a.comm_id is not None and a.points.get("torch", 0) >= 3)
    assert not arena.cell.done  # points came while the cell still ran
    send_custom(notebook, arena.comm_id or "", {"type": "stop", "backend": "torch"})
    reply = arena.finish()
    assert reply.status == "ok"
    assert all(arena.points.get(b, 0) >= 2 for b in BACKENDS), arena.points
    result = json.loads(notebook.value("json.dumps(_r.to_dict())"))
    values = {b: int(r["value"]) for b, r in result["runs"].items()}
    assert values["jax"] == values["tensorflow"] == 4  # the others trained to their end
    assert 1 <= values["torch"] < 400  # torch's fit ended after its current batch
    assert result["runs"]["torch"]["ok"]
    final = (reply.updates or reply.outputs)[-1]["data"]
    assert set(final) >= {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"}
    assert (
        "first epoch" in final["text/plain"] and "Fastest steady-state step" in final["text/plain"]
    )


@pytest.mark.backends
@pytest.mark.kernel
def test_timing_breakdown_and_per_batch_curves_are_data(notebook: KernelSession) -> None:
    notebook.ok(MODEL_SETUP)
    notebook.ok("%keras_compare --stop")  # cold: the kernel start is timed too
    _, result = _compare(
        notebook,
        "--push x,y",
        "model = make_model()\nmodel.compile('adam', 'sparse_categorical_crossentropy')\n"
        "h = model.fit(x, y, epochs=3, batch_size=8, verbose=0)",
    )
    for backend, run in result["runs"].items():
        timing = run["timing"]
        assert timing["startup_s"] > 0, backend
        assert timing["first_epoch_s"] > 0 and timing["step_s"] > 0
        assert timing["total_steps"] == 3 * 8
        assert timing["samples_per_s"] == pytest.approx(8 / timing["step_s"], rel=0.01)
        # The first epoch, then the steady steps, all inside the fit's own time,
        # which is inside the cell's.
        assert 0 < timing["first_epoch_s"] < timing["train_s"] <= run["wall_s"]
        assert timing["step_s"] <= timing["train_s"] - timing["first_epoch_s"]
        assert 0 < timing["stream_share"] < 1  # the sends were timed, and inside the steps
        loss = next(c for c in run["curves"] if c["metric"] == "loss")
        assert len(loss["values"]) == 3 and len(loss["batches"]) == 24
        assert [x for x, _ in loss["batches"]] == list(range(1, 25))
    _, warm = _compare(notebook, "", "1")
    assert all(r["timing"]["startup_s"] is None for r in warm["runs"].values())  # warm: none


@pytest.mark.backends
@pytest.mark.kernel
def test_repeat_reports_the_median_and_its_spread(notebook: KernelSession) -> None:
    notebook.ok(MODEL_SETUP)
    reply, result = _compare(
        notebook,
        "--push x,y --repeat 3 --no-stream",
        "model = make_model()\nmodel.compile('adam', 'sparse_categorical_crossentropy')\n"
        "h = model.fit(x, y, epochs=2, batch_size=8, verbose=0)",
    )
    for run in result["runs"].values():
        timing = run["timing"]
        assert timing["runs"] == 3
        assert timing["stream_share"] is None  # nothing was streamed, so nothing was spent
        loss = next(c for c in run["curves"] if c["metric"] == "loss")
        assert len(loss["batches"]) == 16  # the curves still come, in the final report
        low, high = timing["spread"]["step_s"]["low"], timing["spread"]["step_s"]["high"]
        assert low <= timing["step_s"] <= high
    text = _final_bundle(reply)["text/plain"]
    assert "★ fastest" in text and "Fastest steady-state step:" in text
    assert "one run each" not in text  # the spread is measured: no hint to repeat
    repeat_parity = notebook.run("%%keras_compare --push x,y --repeat 2 --parity\n1")
    assert "--repeat and --parity go in separate compares" in repeat_parity.error_line


@pytest.mark.backends
@pytest.mark.kernel
def test_a_crashing_or_hanging_backend_keeps_its_column_while_another_streams(
    notebook: KernelSession, light_setup: None
) -> None:
    notebook.ok(MODEL_SETUP)
    cell = (
        "%%keras_compare --push x,y --timeout 60 -o _r\n"
        "import os, time\n"
        "backend = os.environ['KERAS_BACKEND']\n"
        "if backend == 'jax':\n    raise ValueError('jax breaks')\n"
        "if backend == 'torch':\n    time.sleep(600)\n"
        "model = make_model()\nmodel.compile('adam', 'sparse_categorical_crossentropy')\n"
        "len(model.fit(x, y, epochs=3, batch_size=8, verbose=0).history['loss'])"
    )
    arena = Arena(notebook, cell)
    reply = arena.finish()
    assert reply.status == "ok"
    assert arena.points.get("tensorflow", 0) >= 2 and "jax" not in arena.points
    runs = json.loads(notebook.value("json.dumps(_r.to_dict())"))["runs"]
    assert [runs[b]["status"] for b in BACKENDS] == ["error", "timeout", "ok"]
    assert (
        arena.columns["jax"]["status"] == "error" and arena.columns["tensorflow"]["status"] == "ok"
    )


@pytest.mark.backends
@pytest.mark.kernel
def test_stop_frees_the_backend_kernels(notebook: KernelSession) -> None:
    _compare(notebook, "--backends jax", "1")
    pids = list(_pids(notebook).values())
    assert len(pids) >= 1
    notebook.ok("%keras_compare --stop")
    assert _pids(notebook) == {}
    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], 30)
    assert alive == [] and not any(_alive(pid) for pid in pids)
