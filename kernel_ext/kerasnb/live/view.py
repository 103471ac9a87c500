"""The live training view: an anywidget whose browser half draws the curves.

The kernel side only moves plain data: `progress` (a small dict, replaced a few
times a second), custom "points" messages carrying the points not sent yet,
and at the end a thinned `snapshot` that is saved with the notebook's widget
state. Drawing, log scale, smoothing and hover values all happen in
`training.js`, so a redraw costs the training kernel nothing.
"""

from __future__ import annotations

import pathlib
import uuid
from typing import Any

import anywidget
import traitlets

from kerasnb.live import static
from kerasnb.live.metric_stream import Progress, RunRecord
from kerasnb.shared import assets, png
from kerasnb.shared.html import esc, table, text_table

_HERE = pathlib.Path(__file__).parent

# The live drawing (stores of points, overlaid SVG charts, progress text), which
# the backend arena (comparison/arena) draws with too.
DRAWING_JS = _HERE / "drawing.js"
DRAWING_CSS = _HERE / "training.css"

NO_STOP_HINT = (
    "Stop needs ipykernel 7.4 or newer (it must see the click while fit runs); "
    "interrupt the kernel instead"
)


class TrainingView(anywidget.AnyWidget):
    """Live curves, a progress line and a Stop button for one fit/evaluate/predict."""

    _esm = assets.esm(DRAWING_JS, _HERE / "training.js")
    _css = _HERE / "training.css"

    run_id = traitlets.Unicode().tag(sync=True)  # keys the browser's store of points
    kind = traitlets.Unicode("fit").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    snapshot = traitlets.Dict().tag(sync=True)
    table = traitlets.Dict().tag(sync=True)  # the final table: {"header": [...], "rows": [[...]]}
    can_stop = traitlets.Bool(False).tag(sync=True)
    stop_hint = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("run_id")
    def _new_run_id(self) -> str:
        return uuid.uuid4().hex

    def __repr__(self) -> str:
        # The default repr holds a memory address, which nbval would compare.
        return f"<TrainingView {self.kind}>"


def running_text(progress: Progress, title: str = "") -> str:
    """What a frontend without widgets shows while the run goes on."""
    name = f"{title}: " if title else ""
    return (
        f"LiveMetrics · {name}{progress.kind} running (the live view needs a frontend "
        "with Jupyter widgets; the final curves and table appear here when it ends)"
    )


def headline(progress: Progress, title: str = "") -> str:
    """One line saying how the run ended, with its speed."""
    name = f"{title}: " if title else ""
    words = progress.message or f"{progress.kind} {progress.state}"
    speed = ""
    if progress.total_steps:
        speed = f" · {progress.total_steps} steps in {progress.elapsed_s:.1f} s"
        if progress.rate:
            speed += f" ({progress.rate:.0f} steps/s)"
    return f"LiveMetrics · {name}{words}{speed}"


def widget_bundle(view: TrainingView, text: str) -> dict[str, Any]:
    """The mime bundle that shows `view`, with `text` for frontends without widgets."""
    shown = view._repr_mimebundle_()
    assert shown is not None  # a TrainingView always has a view
    return {**shown[0], "text/plain": text}


def final_table(record: RunRecord) -> dict[str, Any]:
    """The table that ends the run, for the widget (the static twins show the same)."""
    header, rows = static.final_table(record)
    lr_line = static.learning_rate_line(record)
    if lr_line and rows:
        rows = [*rows, ("learning rate", lr_line.split(": ", 1)[1], *[""] * (len(header) - 2))]
    return {"header": list(header), "rows": [list(r) for r in rows]}


def final_bundle(view: TrainingView, record: RunRecord) -> dict[str, Any]:
    """The widget plus its static twins: text table, HTML table and PNG curves."""
    line = headline(record.progress, view.title)
    header, rows = static.final_table(record)
    lr_line = static.learning_rate_line(record)
    plain = [line]
    if rows:
        plain += ["", text_table(header, rows)]
    if lr_line:
        plain.append(lr_line)
    curves = static.curves_png(record)
    state = record.progress.state
    image = png.img_tag(curves, "training curves") if curves is not None else ""
    html = (
        f'<div class="kerasnb-live-static" data-state="{esc(state)}">'
        f"<div><b>{esc(line)}</b></div>{image}"
        f"{table(header, rows) if rows else ''}"
        f"{f'<div>{esc(lr_line)}</div>' if lr_line else ''}</div>"
    )
    bundle = {**widget_bundle(view, "\n".join(plain)), "text/html": html}
    if curves is not None:
        bundle["image/png"] = png.base64_text(curves)
    return bundle
