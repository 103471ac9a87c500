"""Where one run shows up in the notebook: a live widget now, its static twin at cell end.

A run talks to this small object and never to the widget: it hands over
progress and point increments, and reads back two flags the browser can
raise while `fit` runs (Stop, and "catch me up" from a view that just
appeared). The static fallback (PNG and tables) is drawn after the cell's
code has finished (`call_at_cell_end`, IPython's `post_run_cell` event), so
it costs `fit` nothing and is also drawn when the cell was interrupted or
failed. A display holds no reference back to the run it shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kerasnb.live import busy_comm
from kerasnb.live.metric_stream import Progress, RunRecord


class NoDisplay:
    """Stands in where there is no notebook (plain Python): data is still collected."""

    wake = False  # a flag the training thread checks before each batch
    stop_requested = False
    wants_points = False

    def wake_up(self) -> None:
        self.wake = True

    def update(self, progress: Progress, points: dict[str, Any] | None = None) -> None:
        self.wake = False

    def take_catch_up(self) -> bool:
        return False

    def finish(self, record: RunRecord) -> None:
        pass

    def another_view(self, progress: Progress, title: str) -> dict[str, Any] | None:
        """A second live view of the same run (the LiveMetrics shown again), or None."""
        return None


class LiveDisplay(NoDisplay):
    """The widget of one run, shown in place and settled into its static twin at the end."""

    def __init__(self, progress: Progress, title: str) -> None:
        from IPython.display import display

        from kerasnb.live import view as view_module

        self._views = view_module
        self._settled = False
        self._catch_up = False
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
        self._extra_views: list[Any] = []  # the same run shown again by a later cell
        text = view_module.running_text(progress, title)
        self._handle = display(
            view_module.widget_bundle(self.view, text), raw=True, display_id=True
        )

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

    def take_catch_up(self) -> bool:
        """Whether a view asked to be sent everything again; clears the request."""
        wanted, self._catch_up = self._catch_up, False
        return wanted

    # Kernel -> browser

    def update(self, progress: Progress, points: dict[str, Any] | None = None) -> None:
        self.wake = False
        for view in (self.view, *self._extra_views):
            view.progress = progress.to_dict()
            if points is not None and self.wants_points:
                view.send(points)

    def another_view(self, progress: Progress, title: str) -> dict[str, Any] | None:
        view = self._views.TrainingView(
            kind=progress.kind, title=title, progress=progress.to_dict(), can_stop=False
        )
        self._extra_views.append(view)
        self._catch_up = True  # its points so far come with the next update
        self.wake = True
        return self._views.widget_bundle(view, self._views.running_text(progress, title))

    def finish(self, record: RunRecord) -> None:
        if self._settled:
            return
        busy_comm.stop_listening(self._comm_id)
        self._settled = True
        for view in (self.view, *self._extra_views):
            view.progress = record.progress.to_dict()
            view.can_stop = False
            view.snapshot = record.points
            view.table = self._views.final_table(record)
        self._handle.update(self._views.final_bundle(self.view, record), raw=True)


def _kernel_shell() -> Any:
    """The IPython shell of a Jupyter kernel, or None (plain Python, terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def open_display(progress: Progress, title: str) -> NoDisplay:
    """A live display in a Jupyter kernel; a stand-in anywhere else."""
    if _kernel_shell() is None:
        return NoDisplay()
    return LiveDisplay(progress, title)


def call_at_cell_end(callback: Callable[[BaseException | None], None]) -> bool:
    """Call `callback(error the cell raised, or None)` once, when the running cell ends.

    Returns False outside a Jupyter kernel, where there are no cells.
    """
    shell = _kernel_shell()
    if shell is None:
        return False

    def post_run_cell(result: Any) -> None:
        shell.events.unregister("post_run_cell", post_run_cell)
        callback(getattr(result, "error_in_exec", None))

    shell.events.register("post_run_cell", post_run_cell)
    return True
