"""Where one run shows up in the notebook: a live widget now, its static twin at cell end.

`LiveMetrics` talks to this small object and never to the widget: it hands
over progress and point increments, and reads back two flags the browser can
raise while `fit` runs (Stop, and "catch me up" from a view that just
appeared). The static fallback (PNG and tables) is drawn after the cell's code
has finished, in IPython's `post_run_cell` event, so it costs `fit` nothing
and is also drawn when the cell was interrupted or failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kerasnb.errors import not_an_extension
from kerasnb.live import busy_comm
from kerasnb.live.metric_stream import Progress, RunRecord

load_ipython_extension = not_an_extension(__name__)

# Called at the end of the cell with the exception the cell raised (or None);
# returns the run's final record.
CellEnd = Callable[[BaseException | None], RunRecord]


class NoDisplay:
    """Stands in where there is no notebook (plain Python): data is still collected."""

    wake = False
    stop_requested = False
    wants_points = False

    def update(self, progress: Progress, points: dict[str, Any] | None = None) -> None:
        pass

    def take_catch_up(self) -> bool:
        return False


class LiveDisplay(NoDisplay):
    """The widget of one run, shown in place and finished off when the cell ends."""

    def __init__(self, shell: Any, progress: Progress, title: str, on_cell_end: CellEnd) -> None:
        from IPython.display import display

        from kerasnb.views import training as view_module

        self._views = view_module
        self._shell = shell
        self._on_cell_end = on_cell_end
        self._settled = False
        # Listen before the widget's comm opens: the page answers that opening
        # with "ready", possibly before the constructor below has returned.
        self._comm_id = uuid.uuid4().hex
        self.early = busy_comm.listen_while_busy(self._comm_id, self._on_early_message)
        # Without early messages a new view is caught up only when the cell ends.
        self.wants_points = not self.early
        self.view = view_module.TrainingView(
            model_id=self._comm_id,
            kind=progress.kind,
            title=title,
            progress=progress.to_dict(),
            can_stop=self.early and progress.kind == "fit",
            stop_hint="" if self.early else view_module.NO_STOP_HINT,
        )
        self.view.on_msg(self._on_message)
        text = view_module.running_text(progress, title)
        self._handle = display(
            view_module.widget_bundle(self.view, text), raw=True, display_id=True
        )
        shell.events.register("post_run_cell", self._post_run_cell)

    # Browser -> kernel (flags only: the early handler runs on ipykernel's shell thread)

    def _on_early_message(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind == "stop":
            self.stop_requested = True
            self.wake = True
        elif kind == "ready":
            self.wants_points = True
            self._catch_up = True
            self.wake = True

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if not self.early and isinstance(content, dict) and not self._settled:
            self._on_early_message(content)

    _catch_up = False

    def take_catch_up(self) -> bool:
        """Whether a view asked to be sent everything again; clears the request."""
        wanted, self._catch_up = self._catch_up, False
        return wanted

    # Kernel -> browser

    def update(self, progress: Progress, points: dict[str, Any] | None = None) -> None:
        self.wake = False
        self.view.progress = progress.to_dict()
        if points is not None and self.wants_points:
            self.view.send(points)

    def _post_run_cell(self, result: Any) -> None:
        error = getattr(result, "error_in_exec", None)
        self._finish(self._on_cell_end(error))

    def _finish(self, record: RunRecord) -> None:
        self._shell.events.unregister("post_run_cell", self._post_run_cell)
        busy_comm.stop_listening(self._comm_id)
        self._settled = True
        self.view.progress = record.progress.to_dict()
        self.view.can_stop = False
        self.view.snapshot = record.points
        self.view.table = self._views.final_table(record)
        self._handle.update(self._views.final_bundle(self.view, record), raw=True)


def open_display(progress: Progress, title: str, on_cell_end: CellEnd) -> NoDisplay:
    """A live display in a Jupyter kernel; a stand-in anywhere else."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return NoDisplay()
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return NoDisplay()
    return LiveDisplay(shell, progress, title, on_cell_end)
