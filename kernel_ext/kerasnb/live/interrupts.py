"""Ctrl-C (a kernel interrupt) during fit: stop at the next step boundary, never mid-step.

Two things go wrong when SIGINT raises KeyboardInterrupt wherever Python
happens to be during fit. Keras converts each batch's logs to floats under a
bare `except: pass` (`pythonify_logs`), where a small model's training thread
spends most of its time, so the interrupt is often swallowed and fit runs on.
And on JAX an interrupt inside the train step, after the old state's buffers
were donated, leaves the model holding deleted buffers: it is unusable.

So while a LiveMetrics run is active a chained SIGINT handler only remembers
the interrupt and wakes the callback, whose next hook (a step boundary, where
Keras' state is whole) raises KeyboardInterrupt. A second Ctrl-C before that
raises at once, for a step that never ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any


class InterruptWatch:
    """Between `start` and `stop`, turns the first SIGINT into a flag for `take`."""

    def __init__(self, on_interrupt: Callable[[], None]) -> None:
        self.seen = False
        self._on_interrupt = on_interrupt
        self._previous: Any = None
        self._installed = False

    def start(self) -> None:
        # Only the main thread may set signal handlers (fit in a thread: no watch).
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        except (ValueError, OSError):
            return
        self._installed = True

    def stop(self) -> None:
        if not self._installed:
            return
        self._installed = False
        if signal.getsignal(signal.SIGINT) == self._handle:  # bound methods: ==, not is
            signal.signal(signal.SIGINT, self._previous)

    def take(self) -> bool:
        """Whether an interrupt came since the last call."""
        seen, self.seen = self.seen, False
        return seen

    def _handle(self, signum: int, frame: Any) -> None:
        previous = self._previous
        if previous is signal.SIG_IGN:
            return
        if self._installed and not self.seen:
            self.seen = True
            self._on_interrupt()
            return
        # Asked twice and no step boundary came (or the run is over but another
        # handler was chained after ours): interrupt now, as without us.
        self.seen = False
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL or unknown: Python's own behaviour
            signal.default_int_handler(signum, frame)
