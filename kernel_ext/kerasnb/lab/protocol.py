"""The messages between a kernel and kerasnb's JupyterLab plugins, written down once.

Every message is a JSON object with `version` (this module's VERSION) and
`type`. labextension/src/protocol.ts is the other half; both are tested.

Frontend -> kernel, on a comm to the target `kerasnb` that the frontend opens:

    subscribe    {models: bool}              also the data of the comm_open; with
                                             models, the sidebar's list is pushed
                                             after every cell that changes it
    switch       {request_id, backend}       choose the backend (in place after import)
    list_models  {request_id}                the sidebar's list, now

Kernel -> frontend:

    hello        the data of the comm_open the kernel sends at `%load_ext`:
                 "kerasnb is here, open your comm" (then it closes that one)
    status       {status}                    at open, after a switch, after a cell
                                             that changed the backend or the import
    models       {models, reply_to}          reply_to: the list_models request, or null
    switched     {result, reply_to}          what set_backend did (SwitchResult)
    error        {message, reply_to}         a request that could not be served

A request of another version, or one that is malformed, gets an `error` that
says what the kernel speaks, so a frontend and kernel of different kerasnb
releases tell the user instead of misreading each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERSION = 1
TARGET = "kerasnb"
REQUESTS = ("subscribe", "switch", "list_models")


class ProtocolError(ValueError):
    """A message this kernel cannot serve; the text is shown to the user as is."""

    def __init__(self, message: str, reply_to: str | None = None) -> None:
        super().__init__(message)
        self.reply_to = reply_to


@dataclass(frozen=True)
class Request:
    """One checked request from a frontend."""

    type: str
    request_id: str | None = None
    backend: str | None = None
    models: bool = False


def parse_request(data: Any) -> Request:
    """Check a frontend's message and return it as a Request.

    Raises:
        ProtocolError: not an object, another protocol version, an unknown
            type, or a field of the wrong kind; `reply_to` carries the
            request id when there was one, so the error reaches its caller.
    """
    if not isinstance(data, Mapping):
        raise ProtocolError(f"a kerasnb message is a JSON object, not {type(data).__name__}")
    request_id = data.get("request_id")
    reply_to = request_id if isinstance(request_id, str) else None
    version = data.get("version")
    if version != VERSION:
        raise ProtocolError(
            f"the JupyterLab extension speaks kerasnb protocol {version!r}, this kernel's "
            f"kerasnb speaks {VERSION}: install the same kerasnb release in the kernel's "
            "environment and in JupyterLab's, then reload the page",
            reply_to,
        )
    kind = data.get("type")
    if kind not in REQUESTS:
        raise ProtocolError(
            f"unknown kerasnb request {kind!r}; protocol {VERSION} has {', '.join(REQUESTS)}",
            reply_to,
        )
    if kind != "subscribe" and reply_to is None:
        raise ProtocolError(f"a {kind} request needs a string request_id")
    if kind == "subscribe":
        models = data.get("models", False)
        if not isinstance(models, bool):
            raise ProtocolError("subscribe's `models` is true or false", reply_to)
        return Request(type=kind, request_id=reply_to, models=models)
    if kind == "switch":
        backend = data.get("backend")
        if not isinstance(backend, str) or not backend:
            raise ProtocolError("a switch request names its backend", reply_to)
        return Request(type=kind, request_id=reply_to, backend=backend)
    return Request(type=kind, request_id=reply_to)


def _message(kind: str, **fields: Any) -> dict[str, Any]:
    return {"version": VERSION, "type": kind, **fields}


def hello_message() -> dict[str, Any]:
    return _message("hello")


def status_message(status: Mapping[str, Any]) -> dict[str, Any]:
    return _message("status", status=dict(status))


def models_message(
    models: Sequence[Mapping[str, Any]], reply_to: str | None = None
) -> dict[str, Any]:
    return _message("models", models=[dict(row) for row in models], reply_to=reply_to)


def switched_message(result: Mapping[str, Any], reply_to: str | None) -> dict[str, Any]:
    return _message("switched", result=dict(result), reply_to=reply_to)


def error_message(message: str, reply_to: str | None = None) -> dict[str, Any]:
    return _message("error", message=message, reply_to=reply_to)
