"""The static face of a finished run: a matplotlib PNG of the curves and a text table.

A saved notebook is read on GitHub, nbviewer and in nbval, where no widget
runs; these are what they show instead of the live view (and instead of the
per-batch lines Keras' progress bar would have left behind). Uses the Agg
canvas directly so that pyplot's global state and the notebook's inline
backend stay untouched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kerasnb.live.metric_stream import RunRecord
from kerasnb.shared import png
from kerasnb.shared.metrics import panel_names

_MAX_PANELS = 4
_COLORS = {"train": "#1f77b4", "val": "#ff7f0e", "bad": "#d62728"}


def fmt(value: Any) -> str:
    """A metric value as people read it: four significant digits, NaN and inf spelled out."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def metric_names(record: RunRecord) -> list[str]:
    """The metrics a run charts and tabulates, in order (see kerasnb.shared.metrics)."""
    return panel_names(list(record.history) or list(record.batch_metrics))


def final_table(record: RunRecord) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and rows of the small table that ends the output."""
    if record.progress.kind == "evaluate":
        return ("metric", "value"), [(k, fmt(v)) for k, v in record.results.items()]
    if record.progress.kind == "predict":
        return (), []
    if record.history:
        last_epoch = len(next(iter(record.history.values())))
        header: tuple[str, ...] = ("metric", f"train (epoch {last_epoch})", "validation")
        rows: list[tuple[str, ...]] = [
            (
                name,
                fmt(_last(record.history.get(name))),
                fmt(_last(record.history.get(f"val_{name}"))),
            )
            for name in metric_names(record)
        ]
        if all(row[2] == "" for row in rows):
            return header[:2], [row[:2] for row in rows]
        return header, rows
    if record.batch_metrics:
        return ("metric", "last batch"), [
            (name, fmt(_last(record.batch_metrics.get(name)))) for name in metric_names(record)
        ]
    return (), []


def learning_rate_line(record: RunRecord) -> str:
    if not record.learning_rates:
        return ""
    first, last = record.learning_rates
    if first == last:
        return f"learning rate: {fmt(last)}"
    return f"learning rate: {fmt(first)} → {fmt(last)}"


def _last(values: Sequence[Any] | None) -> Any:
    if not values:
        return None
    return values[-1]


def _finite(values: Sequence[Any]) -> list[float]:
    return [v for v in values if isinstance(v, float) and math.isfinite(v)]


def _bad_points(xs: Sequence[int], values: Sequence[Any]) -> list[int]:
    return [
        x for x, v in zip(xs, values, strict=False) if isinstance(v, float) and not math.isfinite(v)
    ]


def curves_png(record: RunRecord, dpi: int = 80) -> bytes | None:
    """The curves of a fit as PNG bytes; None when there is nothing to draw."""
    names = metric_names(record)[:_MAX_PANELS]
    if record.progress.kind != "fit" or not names or not (record.batch_x or record.epoch_rows):
        return None
    figure = png.new_figure(3.4 * len(names), 2.5, dpi)
    for axes, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names, strict=True):
        _draw_panel(axes, record, name)
    return png.small_png(figure)


def _draw_panel(axes: Any, record: RunRecord, name: str) -> None:
    batch = record.batch_metrics.get(name) or []
    series: list[tuple[Any, ...]] = [
        (record.batch_x[: len(batch)], batch, "train (batch)", "train", "-", 0.35, ""),
        (*record.epoch_series(name), "train (epoch)", "train", "-", 1.0, "o"),
        (*record.epoch_series(f"val_{name}"), "validation", "val", "--", 1.0, "o"),
    ]
    bad: list[int] = []
    finite: list[float] = []
    for xs, values, label, color, style, alpha, marker in series:
        if not values:
            continue
        ys = [v if isinstance(v, float) and math.isfinite(v) else math.nan for v in values]
        axes.plot(
            xs,
            ys,
            style,
            color=_COLORS[color],
            alpha=alpha,
            marker=marker,
            ms=3,
            lw=1.2,
            label=label,
        )
        bad += _bad_points(xs, values)
        finite += _finite(values)
    if finite and min(finite) > 0 and max(finite) / min(finite) > 1e3:
        axes.set_yscale("log")
    if bad:
        axes.plot(
            bad,
            [1.0] * len(bad),
            "x",
            color=_COLORS["bad"],
            transform=axes.get_xaxis_transform(),
            clip_on=False,
            label="NaN / inf",
        )
    axes.set_title(name, fontsize=9)
    axes.set_xlabel("step", fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=6, frameon=False)
