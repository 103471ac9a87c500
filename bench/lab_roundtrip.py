"""What kerasnb's JupyterLab plugins cost a notebook kernel, per cell and per refresh.

Two real kernels on JAX hold the same namespace (Keras imported, a few small
models). In one, kerasnb is loaded and a page is subscribed to the sidebar's
model list over the `kerasnb` comm, exactly as JupyterLab's sidebar is (the
benchmark opens the comm the way the page does); the other never loads
kerasnb. Each round runs a trivial cell (`x = 1`) in both, in alternating
order, and times execute-to-idle (from sending the request to the kernel's
idle status on IOPub) as a frontend sees it. The ratio is the median over
rounds of (with kerasnb / without), so the two cells of a round share
whatever else the machine is doing; the range of the ratios is printed too.

On a loaded machine two identical cells differ by more than the sidebar
costs, so the kernel-side work is also timed on its own: IPython's
`post_run_cell` event (kerasnb's only per-cell work: the status
fingerprint, the scan and the comparison with what the page has), triggered
500 times inside the kernel with the three models unchanged. Its BENCH
line, lab_roundtrip_own_work, is 1 + that time / the median cell without
kerasnb, a figure machine noise barely moves.

Then the with-kerasnb kernel gets 50 models (MLPs and small CNNs, built)
and times, inside the kernel, the post-cell refresh when the list changed:
IPython's `post_run_cell` event, triggered after flipping one model's
`trainable` so the whole list is scanned, compared and sent over the comm.

Run: .venv/bin/python bench/lab_roundtrip.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kernel_session import KernelSession  # noqa: E402
from lab_client import LabComm  # noqa: E402

TARGET_RATIO = 1.05  # a cell with the sidebar open: at most 5% slower
TARGET_REFRESH_MS = 50.0  # the sidebar refresh of 50 models, in the kernel
WARMUP = 20

NAMESPACE = """
import keras
encoder = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32), keras.layers.Dense(8)])
head = keras.layers.Dense(2)
classifier = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"),
                               keras.layers.Dense(3, activation="softmax")])
"""
FIFTY_MODELS = """
def _mlp(i):
    return keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(10)], name=f"mlp{i}")
def _cnn(i):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x), name=f"cnn{i}")
for _i in range(50):
    globals()[f"model_{_i}"] = (_mlp if _i % 2 else _cnn)(_i)
"""
TIME_HOOK = """
import json as _json, statistics as _statistics, time as _time
_ip, _times = get_ipython(), []
for _i in range(500):
    _t0 = _time.perf_counter()
    _ip.events.trigger("post_run_cell", None)
    _times.append(_time.perf_counter() - _t0)
print(_json.dumps({"median_ms": _statistics.median(_times) * 1000}))
"""
TIME_REFRESH = """
import json as _json, statistics as _statistics, time as _time
_ip, _times = get_ipython(), []
for _i in range(21):
    model_0.trainable = _i % 2 == 0  # the list changed: a real scan, compare and send
    _t0 = _time.perf_counter()
    _ip.events.trigger("post_run_cell", None)
    _times.append(_time.perf_counter() - _t0)
print(_json.dumps({"median_ms": _statistics.median(_times[1:]) * 1000,
                   "models": sum(1 for _n in list(globals()) if _n.startswith("model_"))}))
"""


def execute_to_idle(kernel: KernelSession, code: str, timeout: float = 60) -> float:
    """Seconds from sending `code` to the kernel's idle status for it, as a page sees it."""
    start = time.perf_counter()
    msg_id = kernel.client.execute(code, allow_stdin=False)
    while True:
        msg = kernel.client.get_iopub_msg(timeout=timeout)
        if (
            msg["parent_header"].get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    env = {"KERAS_BACKEND": "jax"}
    with KernelSession(env=env) as with_lab, KernelSession(env=env) as without:
        with_lab.ok("%load_ext kerasnb")
        for kernel in (with_lab, without):
            kernel.ok(NAMESPACE)
        page = LabComm(with_lab, models=True)
        models = page.wait_for("models")["models"]
        assert [row["name"] for row in models] == ["encoder", "head", "classifier"], models
        assert without.value("'kerasnb' in __import__('sys').modules") is False

        ratios: list[float] = []
        times: dict[str, list[float]] = {"with": [], "without": []}
        for i in range(WARMUP + args.rounds):
            order = [("with", with_lab), ("without", without)]
            if i % 2:
                order.reverse()
            took = {name: execute_to_idle(kernel, "x = 1") for name, kernel in order}
            if i >= WARMUP:
                ratios.append(took["with"] / took["without"])
                for name in times:
                    times[name].append(took[name])
        ratio = statistics.median(ratios)
        quartiles = statistics.quantiles(ratios, n=4)
        print(f"rounds: {args.rounds} pairs of `x = 1`, alternating order")
        for name in ("without", "with"):
            label = "with kerasnb + sidebar" if name == "with" else "without kerasnb"
            print(f"  {label:<24} median {statistics.median(times[name]) * 1000:6.2f} ms")
        print(
            f"  ratio (median of pairs)  {ratio:.3f}  "
            f"(quartiles {quartiles[0]:.3f} .. {quartiles[2]:.3f})"
        )

        hook = json.loads(page.run(TIME_HOOK).stdout.strip().splitlines()[-1])["median_ms"]
        without_ms = statistics.median(times["without"]) * 1000
        own = 1 + hook / without_ms
        print(f"post-cell work, 3 models unchanged: {hook * 1000:.0f} µs ({own:.3f}x a cell)")

        page.run(FIFTY_MODELS)
        refresh = json.loads(page.run(TIME_REFRESH).stdout.strip().splitlines()[-1])
        assert refresh["models"] == 50, refresh
        print(f"sidebar refresh, {refresh['models']} models: {refresh['median_ms']:.2f} ms")

    verdict = "ok" if ratio <= TARGET_RATIO else "MISS"
    print(f"BENCH lab_roundtrip {ratio:.3f} {TARGET_RATIO} {verdict}")
    verdict = "ok" if own <= TARGET_RATIO else "MISS"
    print(f"BENCH lab_roundtrip_own_work {own:.3f} {TARGET_RATIO} {verdict}")
    ms = refresh["median_ms"]
    verdict = "ok" if ms <= TARGET_REFRESH_MS else "MISS"
    print(f"BENCH lab_sidebar_refresh_50_models_ms {ms:.2f} {TARGET_REFRESH_MS:g} {verdict}")


if __name__ == "__main__":
    main()
