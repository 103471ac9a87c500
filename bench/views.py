"""Time to first view of kerasnb's summary and graph next to Keras' own, same run.

For a 5-layer model, ResNet50 and DenseNet201 (weights=None, nothing is
downloaded) it times, interleaved and median of several runs, in CPU seconds
(ratios) and wall seconds (shown in brackets):

- `model.summary()` (stdout captured) against `kerasnb.summary(model)` up to
  its full output bundle (widget plus text/plain and text/html twins);
- `keras.utils.plot_model(model, to_file="x.svg")` against
  `kerasnb.graph(model)` up to its bundle (widget plus image/svg+xml), both
  with show_shapes and layer names; plot_model is also timed with
  `splines="spline"` to show what its default `splines="ortho"` costs.

Everything is warmed up once on a tiny model first, so imports are not timed.
Run: .venv/bin/python bench/views.py   (KERAS_BACKEND picks the backend; torch by default)
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TARGETS = {  # (what, model) -> most kerasnb may take, as a share of Keras' time
    ("summary", "5layer"): 1.0,
    ("summary", "resnet50"): 1.0,
    ("summary", "densenet201"): 1.0,
    ("graph", "resnet50"): 1.0,
    ("graph", "densenet201"): 0.5,
}
REPEATS = {"5layer": 7, "resnet50": 3, "densenet201": 3}


def make_models() -> dict[str, Any]:
    import keras
    from keras import layers

    small = keras.Sequential(
        [
            keras.Input((32,)),
            layers.Dense(64, activation="relu"),
            layers.BatchNormalization(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.1),
            layers.Dense(10, activation="softmax"),
        ],
        name="five_layers",
    )
    models = {"5layer": small}
    for key, build in (
        ("resnet50", keras.applications.ResNet50),
        ("densenet201", keras.applications.DenseNet201),
    ):
        start = time.perf_counter()
        models[key] = build(weights=None)
        print(f"# built {key} in {time.perf_counter() - start:.1f} s", flush=True)
    return models


def keras_summary(model: Any) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        model.summary()


def kerasnb_summary(model: Any) -> None:
    import kerasnb

    kerasnb.summary(model)._repr_mimebundle_()


def plot_model(model: Any, splines: str = "ortho") -> None:
    import keras

    path = os.path.join(tempfile.gettempdir(), "kerasnb-bench-plot_model.svg")
    try:
        keras.utils.plot_model(
            model, to_file=path, show_shapes=True, show_layer_names=True, splines=splines
        )
    except ValueError as err:  # IPython cannot embed the SVG it just wrote
        if "Cannot embed the 'svg' image format" not in str(err):
            raise


def kerasnb_graph(model: Any) -> None:
    import kerasnb

    kerasnb.graph(model, show_shapes=True)._repr_mimebundle_()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (`dot` runs in one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[Any], None], model: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn(model)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def measure(model: Any, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each contender, run round-robin so drift
    hits all alike."""
    contenders: dict[str, Callable[[Any], None]] = {
        "keras_summary": keras_summary,
        "kerasnb_summary": kerasnb_summary,
        "plot_model": plot_model,
        "plot_model_spline": lambda m: plot_model(m, splines="spline"),
        "kerasnb_graph": kerasnb_graph,
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            runs[name].append(timed(fn, model))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in runs.items()
    }


def main() -> None:
    import keras

    print(
        f"# Keras {keras.version()} on {keras.backend.backend()}, Python {sys.version.split()[0]}"
    )
    print("# ratios use CPU seconds (this process plus the `dot` it waits for): on a shared")
    print("# machine they hold still where wall time swings; wall seconds are shown beside")
    models = make_models()
    measure(models["5layer"], 1)  # warm-up: imports, pydot, rich, anywidget, dot
    print(
        f"{'model':<12} {'summary':>15} {'kerasnb':>15} {'ratio':>6}   "
        f"{'plot_model':>15} {'(spline)':>15} {'kerasnb':>15} {'ratio':>6}"
    )
    ratios: dict[tuple[str, str], float] = {}
    for key, model in models.items():
        t = measure(model, REPEATS[key])
        cpu = {name: c for name, (_, c) in t.items()}
        ratios["summary", key] = cpu["kerasnb_summary"] / cpu["keras_summary"]
        ratios["graph", key] = cpu["kerasnb_graph"] / cpu["plot_model"]
        cell = {name: f"{c:.3f} ({w:.3f})" for name, (w, c) in t.items()}
        print(
            f"{key:<12} {cell['keras_summary']:>15} {cell['kerasnb_summary']:>15} "
            f"{ratios['summary', key]:>6.2f}   {cell['plot_model']:>15} "
            f"{cell['plot_model_spline']:>15} {cell['kerasnb_graph']:>15} "
            f"{ratios['graph', key]:>6.2f}",
            flush=True,
        )
        share = 1 - cpu["plot_model_spline"] / cpu["plot_model"]
        print(f"# {key}: splines='ortho' is {share:.0%} of plot_model's CPU time")
    for (what, key), target in TARGETS.items():
        ratio = ratios[what, key]
        verdict = "ok" if ratio <= target else "MISS"
        anchor = "keras_summary" if what == "summary" else "plot_model"
        print(f"BENCH {what}_vs_{anchor}_{key} {ratio:.2f} {target} {verdict}")


if __name__ == "__main__":
    main()
