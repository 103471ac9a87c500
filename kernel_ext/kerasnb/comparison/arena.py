"""The backend arena: a compare watched live, one column per backend, curves overlaid.

While `%%keras_compare` runs, each backend kernel streams its fits' points
(see fit_stream); this view shows them as they come, drawn by the live
training view's own drawing (kerasnb/live/drawing.js: log scale, smoothing,
hover), every backend's curves in one chart per metric, with each backend's
status, progress, stdout and a Stop button. When the compare ends, the
output keeps the widget and the compare's static twins (table, PNG, text).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from kerasnb.comparison import view as compare_view
from kerasnb.comparison.curves import COLORS
from kerasnb.comparison.results import CompareResult, RunResult
from kerasnb.live import busy_comm
from kerasnb.live.view import DRAWING_CSS, DRAWING_JS
from kerasnb.shared import assets

HERE = Path(__file__).parent
_STDOUT_LINES = 12


class ArenaView(anywidget.AnyWidget):
    """Columns and overlaid curves of one compare; points arrive as custom messages."""

    _esm = assets.esm(DRAWING_JS, HERE / "arena.js")
    _css = DRAWING_CSS.read_text() + "\n" + (HERE / "arena.css").read_text()

    run_id = traitlets.Unicode().tag(sync=True)  # keys the browser's stores of points
    backends = traitlets.List(traitlets.Unicode()).tag(sync=True)
    colors = traitlets.Dict().tag(sync=True)
    columns = traitlets.Dict().tag(sync=True)  # backend -> status, progress, stdout, timing
    can_stop = traitlets.Bool(False).tag(sync=True)
    verdict = traitlets.Unicode("").tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    snapshot: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # for saving
    # At the end: the compare's static table (comparison/view.py, every value escaped),
    # without its PNG of the curves, which the arena draws live.
    table_html = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("run_id")
    def _new_run_id(self) -> str:
        return uuid.uuid4().hex

    def __repr__(self) -> str:
        return f"<kerasnb arena of {', '.join(self.backends)}>"


class ArenaDisplay:
    """The arena of one compare, kept up to date from the runner's thread (the cell's).

    The browser's Stop and "ready" (a view that appeared late) arrive while
    the cell still runs, so they are read early (kerasnb.live.busy_comm) and
    handed to `on_request(kind, backend)`, which only queues them.
    """

    def __init__(self, backends: tuple[str, ...], on_request: Any) -> None:
        from IPython.display import display

        self._comm_id = uuid.uuid4().hex
        self._on_request = on_request
        early = busy_comm.listen_while_busy(self._comm_id, self._on_early_message)
        self.messages: list[dict[str, Any]] = []  # every points message, to replay
        self._stdout: dict[str, str] = {b: "" for b in backends}
        self.view = ArenaView(
            model_id=self._comm_id,
            backends=list(backends),
            colors={b: COLORS.get(b, "#888") for b in backends},
            columns={b: {"status": "starting", "label": "starting the kernel…"} for b in backends},
            can_stop=early,
        )
        self.view.on_msg(self._on_message)
        text = f"keras_compare — {', '.join(backends)}: running (the arena needs Jupyter widgets)"
        self._handle = display(self._bundle(text), raw=True, display_id=True)

    def _bundle(self, text: str, html: str | None = None) -> dict[str, Any]:
        shown = self.view._repr_mimebundle_()
        assert shown is not None
        bundle = {**shown[0], "text/plain": text}
        if html is not None:
            bundle["text/html"] = html
        return bundle

    # browser -> kernel (on ipykernel's shell thread: only queue)

    def _on_early_message(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind in ("stop", "ready"):
            self._on_request(kind, str(content.get("backend", "*")))

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if not self.view.can_stop and isinstance(content, dict):
            self._on_early_message(content)  # no early listener: handled when idle

    # kernel -> browser (on the cell's thread)

    def points(self, backend: str, payload: dict[str, Any]) -> None:
        message = {"type": "points", "backend": backend, "fit": payload.get("fit", 0),
                   "points": payload.get("points")}  # fmt: skip
        self.messages.append(message)
        if payload.get("points") is not None:
            self.view.send(message)
        progress = payload.get("progress") or {}
        self._column(backend, status="running", progress=progress, label="")

    def stdout(self, backend: str, text: str) -> None:
        lines = (self._stdout.get(backend, "") + text).splitlines()[-_STDOUT_LINES:]
        self._stdout[backend] = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
        self._column(backend, stdout=self._stdout[backend])

    def stopping(self, backend: str) -> None:
        self._column(backend, label="stopping after the current batch…")

    def replay(self) -> None:
        """A view appeared late: send it everything again, from the start."""
        self.view.send({"type": "reset"})
        for message in self.messages:
            if message["points"] is not None:
                self.view.send(message)

    def run_done(self, backend: str, run: RunResult) -> None:
        self._column(backend, status=run.status, label=compare_view.status_text(run),
                     error=run.error or "")  # fmt: skip

    def finish(self, result: CompareResult) -> None:
        """The compare is over: timings and verdict in, then the static twins beside it."""
        busy_comm.stop_listening(self._comm_id)
        for backend in result.backends:
            run = result.runs.get(backend)
            if run is not None:
                self._column(backend, status=run.status, label=compare_view.status_text(run),
                             error=run.error or "", timing=timing_pairs(result, backend))  # fmt: skip
        self.view.verdict = compare_view.verdict_text(result)
        self.view.table_html = compare_view.render_html(result, chart=False)
        self.view.snapshot = [m for m in self.messages if m["points"] is not None]
        self.view.can_stop = False
        self.view.done = True
        bundle = compare_view.render(result)
        self._handle.update(self._bundle(bundle["text/plain"], bundle["text/html"]), raw=True)

    def _column(self, backend: str, **changes: Any) -> None:
        columns = dict(self.view.columns)
        columns[backend] = {**columns.get(backend, {}), **changes}
        self.view.columns = columns


def timing_pairs(result: CompareResult, backend: str) -> list[list[str]]:
    """The timing breakdown as (label, text) rows: the static table's own texts."""
    run = result.runs.get(backend)
    if run is None:
        return []
    t = run.timing
    rows = [
        ("kernel start", compare_view.duration_text(t.startup_s)),
        ("first epoch", compare_view.duration_text(t.first_epoch_s)),
        ("step", compare_view.step_text(result, backend)),
        ("samples/s", f"{t.samples_per_s:,.0f}" if t.samples_per_s else ""),
        ("wall time", compare_view.duration_text(run.wall_s)),
    ]
    return [[label, text] for label, text in rows if text]
