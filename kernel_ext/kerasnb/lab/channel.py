"""The comm target `kerasnb`: each JupyterLab page's own comm, and what travels on it.

Who opens what, and why:

- `%load_ext kerasnb` registers the target and sends one short-lived comm
  (`hello`, closed at once) so that pages already showing this kernel open
  theirs now. Nothing else is computed at load: loading stays cheap.
- Each page opens its own comm (also on every kernel connection: restart,
  change of kernel, reconnect). A shared, kernel-opened comm would die the
  moment any other client of the kernel (a console, another tool) without
  the target closed it; a page's own comm is only ever closed by that page.
- A page's comm gets the status at once, then again whenever a cell moved
  the backend or imported Keras (checked after every cell for a few
  microseconds), after a switch, and the sidebar's model list after every
  cell that changed it, while the page's sidebar is open (`subscribe`).

The post-cell hook is registered only while some page listens, so a kernel
that no page subscribed to pays nothing per cell. The pushes ride the cell's
own request on IOPub as comm messages: no outputs, no execution counts.

ipykernel's comm manager (through the `comm` package) and IPython's events
are used here only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import comm as comm_package

from kerasnb.backend import api as backend
from kerasnb.errors import KerasnbError
from kerasnb.lab import namespace, protocol, status

_log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Page:
    """One frontend's comm and what it asked for."""

    comm: Any
    models: bool = False
    last_models: list[dict[str, Any]] | None = field(default=None)


class Channel:
    """The kernel's half of the protocol, for one IPython shell."""

    def __init__(self, shell: Any, manager: Any) -> None:
        self.shell = shell
        self.manager = manager
        self.pages: dict[str, _Page] = {}
        self._hooked = False
        self._fingerprint: status.Fingerprint | None = None
        manager.register_target(protocol.TARGET, self._open)

    # --- lifecycle -------------------------------------------------------

    def announce(self) -> None:
        """Tell the pages already connected that kerasnb is here (they open their own comm)."""
        hello = comm_package.create_comm(target_name=protocol.TARGET, data=protocol.hello_message())
        hello.close()

    def stop(self) -> None:
        for page in list(self.pages.values()):
            page.comm.close()
        self.pages.clear()
        self._set_hook(False)
        if self.manager.targets.get(protocol.TARGET) == self._open:
            self.manager.unregister_target(protocol.TARGET, self._open)

    def _open(self, comm: Any, msg: dict[str, Any]) -> None:
        page = _Page(comm)
        self.pages[comm.comm_id] = page
        comm.on_msg(lambda message: self._on_msg(page, message))
        comm.on_close(lambda message: self._forget(page))
        self._set_hook(True)
        self._send(page, protocol.status_message(self._status()))
        self._serve(page, msg["content"].get("data"))

    def _forget(self, page: _Page) -> None:
        self.pages.pop(page.comm.comm_id, None)
        self._set_hook(bool(self.pages))

    def _set_hook(self, on: bool) -> None:
        if on != self._hooked:
            events = self.shell.events
            (events.register if on else events.unregister)("post_run_cell", self._after_cell)
            self._hooked = on

    # --- requests --------------------------------------------------------

    def _on_msg(self, page: _Page, msg: dict[str, Any]) -> None:
        self._serve(page, msg["content"].get("data"))

    def _serve(self, page: _Page, data: Any) -> None:
        try:
            request = protocol.parse_request(data)
        except protocol.ProtocolError as err:
            self._send(page, protocol.error_message(str(err), err.reply_to))
            return
        handler: Callable[[_Page, protocol.Request], None] = getattr(self, f"_{request.type}")
        try:
            handler(page, request)
        except Exception as err:  # a request must never take the kernel's page link down
            _log.exception("kerasnb: %s request failed", request.type)
            self._send(page, protocol.error_message(_one_line(err), request.request_id))

    def _subscribe(self, page: _Page, request: protocol.Request) -> None:
        page.models = request.models
        page.last_models = None
        if page.models:
            self._push_models(page)

    def _list_models(self, page: _Page, request: protocol.Request) -> None:
        rows = self._rows()
        self._send(page, protocol.models_message(rows, request.request_id))
        if page.models:
            page.last_models = rows

    def _switch(self, page: _Page, request: protocol.Request) -> None:
        assert request.backend is not None
        try:
            result = backend.set_backend(request.backend, namespace=self.shell.user_ns)
        except KerasnbError as err:
            self._send(page, protocol.error_message(str(err), request.request_id))
            return
        self._send(page, protocol.switched_message(result.to_dict(), request.request_id))
        self.refresh()

    # --- pushes ----------------------------------------------------------

    def _after_cell(self, result: Any = None) -> None:
        try:
            self.refresh()
        except Exception:  # never an error in the user's cell for a sidebar
            _log.exception("kerasnb: refreshing the JupyterLab plugins failed")

    def refresh(self) -> None:
        """Push the status if it changed, and the models to each page that watches them."""
        if status.fingerprint() != self._fingerprint:
            message = protocol.status_message(self._status())
            for page in list(self.pages.values()):
                self._send(page, message)
        watching = [page for page in self.pages.values() if page.models]
        if watching:
            rows = self._rows()
            for page in watching:
                self._push_models(page, rows)

    def _push_models(self, page: _Page, rows: list[dict[str, Any]] | None = None) -> None:
        rows = self._rows() if rows is None else rows
        if rows != page.last_models:
            self._send(page, protocol.models_message(rows))
            page.last_models = rows

    def _status(self) -> dict[str, Any]:
        self._fingerprint = status.fingerprint()
        return status.current().to_dict()

    def _rows(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in namespace.scan(self.shell.user_ns)]

    def _send(self, page: _Page, message: dict[str, Any]) -> None:
        page.comm.send(message)


def _one_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


_channel: Channel | None = None


def start(shell: Any) -> bool:
    """Register the target in this shell's kernel and announce it.

    Returns:
        False outside a Jupyter kernel (a terminal IPython has no frontend to
        talk to); True once the target is registered.
    """
    global _channel
    if getattr(shell, "kernel", None) is None:
        return False
    if _channel is None:
        _channel = Channel(shell, comm_package.get_comm_manager())
    _channel.announce()
    return True


def current() -> Channel | None:
    return _channel


def stop() -> None:
    """Close every page's comm and unregister everything (`%unload_ext`)."""
    global _channel
    if _channel is not None:
        _channel.stop()
        _channel = None
    status.reset()
    namespace.reset()
