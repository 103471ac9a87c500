"""Inside a backend kernel: the comm the notebook and the agent talk over, besides cells.

The agent opens it at start (kernel -> notebook, `comm_id` chosen by the
notebook). It carries what must not wait for a cell or does not fit in one,
all as JSON, so a kernel behind a gateway works like a local one:

- notebook -> kernel, while a cell runs (read early, on ipykernel's shell
  thread, through kerasnb.live.busy_comm: only flags and mailboxes are set):
  "stop" (end the running fit after this batch), "parity_initial" (the
  reference backend's starting weights for parity);
- notebook -> kernel, between cells (read by the comm's own handler, in
  order with the cells): "push" (variables to bind), "parity_final" (the
  reference's final weights);
- kernel -> notebook: "parity_initial" from the reference backend.
"""

from __future__ import annotations

import threading
from typing import Any

from kerasnb.comparison.fit_stream import StopFlag

TARGET = "kerasnb.compare.control"


class Mailbox:
    """Messages handed over from another thread, by job, waited for with a deadline.

    Keyed by the compare's job id: a message may arrive before the cell that
    waits for it has even started (the reference backend can be quicker than
    this one's setup), and must not be mistaken for one of another compare.
    """

    def __init__(self) -> None:
        self._arrived = threading.Condition()
        self._by_job: dict[str, Any] = {}

    def put(self, job: str, value: Any) -> None:
        with self._arrived:
            self._by_job = {job: value}  # only the latest compare's matters
            self._arrived.notify_all()

    def wait(self, job: str, timeout: float | None) -> Any:
        """The message of `job`, or None if none came within `timeout` seconds."""
        with self._arrived:
            self._arrived.wait_for(lambda: job in self._by_job, timeout)
            return self._by_job.get(job)


class Control:
    """The agent's end of the control comm."""

    def __init__(self) -> None:
        self.comm: Any = None
        self.early = False  # messages seen while a cell runs (ipykernel >= 7.4)
        self.stop = StopFlag()
        self.parity_initial = Mailbox()
        self.inbox: dict[str, Any] = {}  # "push:<id>" and "parity_final" -> their data

    def open(self, comm_id: str) -> None:
        from comm import create_comm

        from kerasnb.live import busy_comm

        self.comm = create_comm(target_name=TARGET, comm_id=comm_id)
        self.comm.on_msg(self._on_message)
        self.early = busy_comm.listen_while_busy(comm_id, self._on_early_message)

    def new_cell(self) -> None:
        """A compared cell starts: a fresh Stop."""
        self.stop = StopFlag()

    def send(self, content: dict[str, Any]) -> None:
        """A message to the notebook, as a comm message on IOPub."""
        if self.comm is not None:
            self.comm.send({"method": "custom", "content": content})

    def _on_early_message(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind == "stop":
            self.stop.request()
        elif kind == "parity_initial":
            self.parity_initial.put(str(content.get("job")), content)

    def _on_message(self, msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {})
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "push":
            self.inbox[f"push:{content['id']}"] = content["data"]
        elif kind == "parity_final":
            self.inbox["parity_final"] = content
        elif not self.early:  # no early listener: what it would have handled arrives here
            self._on_early_message(content)
