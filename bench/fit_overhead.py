"""What LiveMetrics costs a `fit`, next to Keras' own ways of showing one.

Per backend, in a real kernel (one per backend, as a notebook runs it): a
Dense(32, relu) -> Dense(1) model on 20,000 x 20 samples, batch 32 (625 steps
per epoch), 3 epochs, fitted with

    verbose0        fit(verbose=0): the anchor, nothing shown
    verbose0_again  the anchor once more: its ratios are the noise of the machine
    verbose1        fit(verbose=1): Keras' progress bar, streamed to the notebook
    bare            verbose=0 plus a callback whose on_train_batch_end does nothing
                    (it turns off Keras' background conversion of the logs)
    live            LiveMetrics() as shipped (per-backend async choice)
    live_async      LiveMetrics with async_safe=True (hooks on Keras' worker threads)
    live_sync       LiveMetrics with async_safe=False

For the live variants the benchmark answers the widget's "ready" over the
kernel protocol as soon as it appears, exactly as a JupyterLab page does, so
points are really sent while fit runs. Times (wall and the kernel process'
CPU) are taken inside the kernel around `fit` only; the static fallback (PNG
and tables) is drawn after the cell's code and is reported on its own line.

Every other variant runs next to a verbose0 fit of its own (before it in
even rounds, after it in odd ones), and its ratio is the median over the
rounds of (variant / its verbose0), so the two fits of a pair share whatever
else the machine is doing; the order of variants rotates each round. The
range of each variant's ratios is printed too: verbose0_again's range is how
far two identical fits differ here, the resolution of every other line. On
tensorflow `bare`, `live`, `live_async` and `live_sync` share one code path
for batch hooks (TensorFlow runs callbacks synchronously either way).

Both torch and tensorflow run with one intra-op (and, for tensorflow, one
inter-op) thread: with their default thread pools on a busy 2-core machine a
step costs up to 10-50x more whichever variant runs, which would hide what
is measured. Like the compile, the one-time imports of a session's first
LiveMetrics (its view) happen in an untimed fit before the rounds, so they
do not land on whichever live variant comes first. LiveMetrics' own work
(per run, epoch, batch and view update) is also timed on its own, without
Keras around it, a figure that machine noise barely moves; its second BENCH
line, fit_overhead_own_work_<backend>, is 1 + that work over a 3-epoch run /
the median verbose0 fit of the same run.

Run: .venv/bin/python bench/fit_overhead.py [--rounds N] [--backends jax,torch]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kernel_session import KernelSession  # noqa: E402
from widget_client import RunningCell, send_custom, training_view_id  # noqa: E402

BACKENDS = ("jax", "torch", "tensorflow")
VARIANTS = ("verbose0", "verbose0_again", "verbose1", "bare", "live", "live_async", "live_sync")
CLOCKS = ("wall", "cpu")
TARGET = 1.02  # LiveMetrics at most 1.02x fit(verbose=0)
UPDATE_INTERVAL_S = 0.25  # LiveMetrics' default

SETUP = """
import os, time
if os.environ["KERAS_BACKEND"] == "tensorflow":  # before TensorFlow starts its thread pools
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
import numpy as np, keras, kerasnb
if keras.backend.backend() == "torch":
    import torch; torch.set_num_threads(1)
rng = np.random.default_rng(0)
x = rng.normal(size=(20000, 20)).astype("float32")
y = (x[:, :1] * 2 - x[:, 1:2]).astype("float32")

class Bare(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass

def live(async_safe=None):
    global last_live
    last_live = kerasnb.LiveMetrics()
    if async_safe is not None:
        last_live.async_safe = async_safe
    return last_live

def fit_args(variant):
    return {
        "verbose0": lambda: dict(verbose=0),
        "verbose0_again": lambda: dict(verbose=0),
        "verbose1": lambda: dict(verbose=1),
        "bare": lambda: dict(verbose=0, callbacks=[Bare()]),
        "live": lambda: dict(callbacks=[live()]),
        "live_async": lambda: dict(callbacks=[live(True)]),
        "live_sync": lambda: dict(callbacks=[live(False)]),
    }[variant]()

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(1)])
model.compile("adam", "mse", metrics=["mae"])
model.fit(x[:640], y[:640], batch_size=32, epochs=1, verbose=0)  # compile outside timing
# Once per session a first LiveMetrics imports its view (about 0.1 s); outside timing too.
model.fit(x[:640], y[:640], batch_size=32, epochs=1, callbacks=[live()])
"""

TIMED = """
_args = fit_args({variant!r})
_t, _cpu = time.perf_counter(), time.process_time()
model.fit(x, y, batch_size=32, epochs=3, **_args)
print("SECONDS", time.perf_counter() - _t, time.process_time() - _cpu)
"""

# LiveMetrics' own work, without Keras around it: a figure that machine noise
# barely moves, next to the fit ratios. Per run (begin: the view appears; end:
# its last update), per epoch turn, per batch (both hooks, between updates) and
# per view update (sending its point, as to a page that said "ready").
HOOKS = """
import gc
_logs = {"loss": 0.5, "mae": 0.25}
_runs, _turns = [], []
gc.collect()  # time our work, not the collection of garbage the fits above left
for _round in range(5):
    _cb = kerasnb.LiveMetrics()
    _cb.set_model(model)
    _cb.set_params({"verbose": 1, "epochs": 3, "steps": 30000})
    _t = time.perf_counter()
    _cb.on_train_begin()
    _begin = time.perf_counter() - _t
    _cb.on_epoch_begin(0)
    _t = time.perf_counter()
    _cb.on_epoch_end(0, _logs)
    _cb.on_epoch_begin(1)
    _turns.append(time.perf_counter() - _t)
    if _round < 4:
        _t = time.perf_counter()
        _cb.on_train_end()
        _runs.append(_begin + time.perf_counter() - _t)
gc.collect()
_t = time.perf_counter()
for _i in range(20000):
    _cb.on_train_batch_begin(_i)
    _cb.on_train_batch_end(_i, _logs)
_hook = (time.perf_counter() - _t) / 20000
_cb.update_interval, _cb._next_tick, _cb._display.wants_points = 0.0, 0.0, True
_t = time.perf_counter()
for _i in range(20000, 20500):
    _cb.on_train_batch_begin(_i)
    _cb.on_train_batch_end(_i, _logs)
_update = (time.perf_counter() - _t) / 500 - _hook
_cb.on_epoch_end(1, _logs)
_cb.on_train_end()
print("SECONDS", _hook, _update, sorted(_runs)[1], sorted(_turns)[2])
"""

FALLBACK = """
from kerasnb.live import view as _views
_record = last_live._run.stream.record(last_live._run.final)
_t = time.perf_counter()
_views.final_bundle(_views.TrainingView(), _record)
print("SECONDS", time.perf_counter() - _t)
"""


Times = dict[str, list[dict[str, float]]]  # variant -> one {"wall": s, "cpu": s} per fit


def timed_fit(kernel: KernelSession, variant: str) -> dict[str, float]:
    """Wall and CPU seconds of one fit, answering the live view's "ready" like a browser."""
    cell = RunningCell(kernel, TIMED.format(variant=variant))

    def answer_ready(msg: dict) -> bool:
        comm_id = training_view_id(msg)
        if comm_id is not None:
            send_custom(kernel, comm_id, {"type": "ready"})
            return True
        return False

    if variant.startswith("live"):
        cell.watch(answer_ready)
    reply = cell.finish()
    if reply.error:
        raise RuntimeError("\n".join(reply.error["traceback"]))
    return {"wall": _seconds(reply.stdout, 1), "cpu": _seconds(reply.stdout, 2)}


def _seconds(stdout: str, field: int = 1) -> float:
    line = [line for line in stdout.splitlines() if line.startswith("SECONDS")][-1]
    return float(line.split()[field])


def measure(backend: str, rounds: int) -> tuple[Times, Times, float, tuple[float, ...]]:
    """Each variant's fits, and the verbose0 fit paired with each (run next to it)."""
    times: Times = {v: [] for v in VARIANTS[1:]}
    anchors: Times = {v: [] for v in VARIANTS[1:]}
    others = VARIANTS[1:]
    with KernelSession(env={"KERAS_BACKEND": backend}) as kernel:
        kernel.ok("%load_ext kerasnb")
        kernel.ok(SETUP)
        for r in range(rounds):
            for variant in others[r % len(others) :] + others[: r % len(others)]:
                if r % 2 == 0:  # anchor first, then the variant; the other way round next time
                    anchors[variant].append(timed_fit(kernel, "verbose0"))
                    times[variant].append(timed_fit(kernel, variant))
                else:
                    times[variant].append(timed_fit(kernel, variant))
                    anchors[variant].append(timed_fit(kernel, "verbose0"))
            print(f"  {backend} round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        fallback = _seconds(kernel.ok(FALLBACK).stdout)
        hooks = kernel.ok(HOOKS).stdout
    return times, anchors, fallback, tuple(_seconds(hooks, field) for field in (1, 2, 3, 4))


def paired_ratios(times: Times, anchors: Times, variant: str, clock: str) -> list[float]:
    """Per round: the variant's fit / the verbose0 fit run next to it."""
    return sorted(
        t[clock] / a[clock] for t, a in zip(times[variant], anchors[variant], strict=True)
    )


def report(
    backend: str, times: Times, anchors: Times, fallback: float, own: tuple[float, ...]
) -> list[str]:
    anchor = statistics.median(a["wall"] for fits in anchors.values() for a in fits)
    print(f"{backend}: verbose0 {anchor:.3f} s (median of {sum(map(len, anchors.values()))} fits)")
    ratio = {}
    for variant in VARIANTS[1:]:
        wall, cpu = (paired_ratios(times, anchors, variant, clock) for clock in CLOCKS)
        ratio[variant] = statistics.median(wall)
        print(
            f"  {variant:<14} {ratio[variant]:.3f}x wall ({wall[0]:.3f}-{wall[-1]:.3f}),"
            f" {statistics.median(cpu):.3f}x cpu ({cpu[0]:.3f}-{cpu[-1]:.3f})"
            "   median paired ratio (range over rounds)"
        )
    faster = "async" if ratio["live_async"] < ratio["live_sync"] else "sync"
    if backend == "tensorflow":  # Keras never dispatches callbacks async on TF
        faster = "same code path (TensorFlow runs callbacks synchronously)"
    print(
        f"  faster hook dispatch here: {faster}; static fallback after the cell: {fallback:.3f} s"
    )
    print(
        "  verbose0_again is the same fit as its anchor: its ratios are this machine's noise,"
        " which bounds what any other line can show"
    )
    per_batch, per_update, per_run, per_epoch = own
    steps, updates = 3 * 625, anchor / UPDATE_INTERVAL_S
    share = (per_run + 3 * per_epoch + steps * per_batch + updates * per_update) / anchor
    print(
        f"  LiveMetrics' own work: {per_run * 1e3:.1f} ms per run (view shown, last update),"
        f" {per_epoch * 1e3:.2f} ms per epoch, {per_batch * 1e6:.1f} us per batch,"
        f" {per_update * 1e3:.2f} ms per view update (4 a second):"
        f" {share:.2%} of the verbose0 fit"
    )
    ok = "ok" if ratio["live"] <= TARGET else "MISS"
    own_ok = "ok" if 1 + share <= TARGET else "MISS"
    return [
        f"BENCH fit_overhead_{backend} {ratio['live']:.3f} {TARGET} {ok}",
        f"BENCH fit_overhead_own_work_{backend} {1 + share:.4f} {TARGET} {own_ok}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    lines: list[str] = []
    for backend in args.backends.split(","):
        times, anchors, fallback, own = measure(backend, args.rounds)
        lines += report(backend, times, anchors, fallback, own)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
