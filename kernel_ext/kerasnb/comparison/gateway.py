"""Backend kernels on a Jupyter Kernel Gateway (or Enterprise Gateway).

jupyter_server's own gateway client does the work: `GatewayKernelManager`
starts, interrupts and shuts kernels down through the gateway's REST API,
and `GatewayKernelClient` carries the kernel protocol over its websocket, so
kerasnb grows no engine of its own. What kerasnb adds is small: where the
gateway's URL and token come from, which kernelspec each backend runs in,
the token on the websocket too (jupyter_server 2.x sends it only on REST
requests), and one clear line for each fault. The token is never printed,
never stored in the notebook and never part of a message (`Gateway.scrub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from kerasnb.errors import KerasnbError

ENV_URL = "KERASNB_GATEWAY_URL"
ENV_TOKEN = "KERASNB_GATEWAY_TOKEN"
ENV_KERNEL = "KERASNB_GATEWAY_KERNEL"  # the kernelspec to use for every backend
JUPYTER_ENV_TOKEN = "JUPYTER_GATEWAY_AUTH_TOKEN"  # jupyter_server's own setting
SPEC_PREFIX = "keras-"  # a gateway may offer one kernelspec per backend: keras-jax, ...
CONNECT_TIMEOUT_S = 10.0
LIVENESS_EVERY_S = 2.0  # how often a silent gateway kernel is asked whether it still exists

_notebook_default: dict[str, str | None] = {"url": None}  # %keras_compare --use-gateway


@dataclass(frozen=True)
class Gateway:
    """A gateway to start backend kernels on; the token stays out of every repr."""

    url: str
    token: str = field(default="", repr=False)
    kernel_name: str | None = None

    def scrub(self, text: str) -> str:
        """`text` with the token (and any `token=...` in it) removed."""
        if self.token:
            text = text.replace(self.token, "***")
        return re.sub(r"(token[=:]\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def use_gateway(url: str | None) -> Gateway | None:
    """Make `url` this notebook's gateway for every later compare (None: local kernels)."""
    gateway = _parse(url) if url else None
    _notebook_default["url"] = gateway.url if gateway else None
    return gateway


def resolve(url: str | None) -> Gateway | None:
    """The gateway a compare uses: `url`, else the notebook's (--use-gateway), else
    KERASNB_GATEWAY_URL; None means local kernels. "local" picks local kernels."""
    chosen = url or _notebook_default["url"] or os.environ.get(ENV_URL) or None
    if chosen is None or chosen == "local":
        return None
    return _parse(chosen)


def _parse(url: str) -> Gateway:
    text = str(url).strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", text):
        raise KerasnbError(
            f"gateway {url!r} is not an http(s) URL; pass one like http://gateway.example:8888"
        )
    token = os.environ.get(ENV_TOKEN) or os.environ.get(JUPYTER_ENV_TOKEN) or ""
    return Gateway(text, token, os.environ.get(ENV_KERNEL) or None)


def _configure(gateway: Gateway) -> Any:
    """Point jupyter_server's GatewayClient (a process-wide singleton) at `gateway`."""
    from jupyter_server.gateway.gateway_client import GatewayClient

    client = GatewayClient.instance()
    if client.url != gateway.url or client.auth_token != gateway.token:
        client.url = gateway.url
        client.ws_url = re.sub(r"^http", "ws", gateway.url)
        client.auth_token = gateway.token
        client.connect_timeout = CONNECT_TIMEOUT_S
        client._connection_args = {}  # rebuilt with the new token at the next request
    return client


class FaultError(RuntimeError):
    """A gateway fault, said in one line that names no secret."""


def explain(err: BaseException, gateway: Gateway, backend: str) -> str:
    """One line for what went wrong talking to the gateway, with what to do."""
    code = getattr(err, "status_code", None) or getattr(err, "code", None)
    text = gateway.scrub(str(getattr(err, "log_message", "") or err))
    if code in (401, 403) or "401" in text or "403 Forbidden" in text:
        return (
            f"the gateway at {gateway.url} refused the token (HTTP {code or 401}); "
            f"set {ENV_TOKEN} to the gateway's token"
        )
    if code == 503 or isinstance(err, ConnectionError | OSError) or "onnection" in text:
        return (
            f"the gateway at {gateway.url} is not answering ({type(err).__name__}); start it "
            f"or check {ENV_URL}"
        )
    return f"the gateway could not start the {backend} kernel: {text.splitlines()[0][:300]}"


async def _kernelspecs(gateway: Gateway) -> tuple[str, list[str]]:
    """(the gateway's default kernelspec, every kernelspec it offers).

    Asked with jupyter_server's gateway_request, as its GatewayKernelSpecManager
    does (which answers nothing outside a running Jupyter server).
    """
    from jupyter_server.gateway.gateway_client import gateway_request
    from jupyter_server.utils import url_path_join

    client = _configure(gateway)
    response = await gateway_request(url_path_join(client.url, client.kernelspecs_endpoint),
                                     method="GET")  # fmt: skip
    specs = json.loads(response.body)
    return str(specs.get("default", "")), sorted(specs.get("kernelspecs", {}))


def spec_for(backend: str, default: str, offered: list[str], gateway: Gateway) -> str:
    """The kernelspec `backend` runs in: keras-<backend> if offered, else the chosen one."""
    if f"{SPEC_PREFIX}{backend}" in offered:
        return f"{SPEC_PREFIX}{backend}"
    chosen = gateway.kernel_name or default
    if chosen not in offered:
        raise FaultError(
            f"the gateway at {gateway.url} has no kernelspec {chosen!r} for {backend} "
            f"(it offers: {', '.join(offered) or 'none'}); set {ENV_KERNEL} to one of them"
        )
    return chosen


async def start(backend: str, gateway: Gateway) -> tuple[Any, Any]:
    """Start `backend`'s kernel on the gateway: (its manager, a connected client).

    Raises:
        FaultError: the gateway is down, refused the token, or has no kernelspec.
    """
    from jupyter_server.gateway.managers import GatewayKernelManager

    _configure(gateway)
    try:
        default, offered = await _kernelspecs(gateway)
        name = spec_for(backend, default, offered, gateway)
        manager = GatewayKernelManager(kernel_name=name)
        manager.client_factory = _token_client_class()
        await manager.start_kernel(kernel_name=name, env={"KERNEL_KERAS_BACKEND": backend})
    except FaultError:
        raise
    except Exception as err:  # tornado's HTTPError, connection errors: one line each
        raise FaultError(explain(err, gateway, backend)) from None
    client = manager.client()
    try:
        await client.start_channels()
    except Exception as err:
        await _quietly(manager.shutdown_kernel(now=True))
        raise FaultError(explain(err, gateway, backend)) from None
    return manager, client


async def gone(manager: Any, client: Any) -> str | None:
    """Why a gateway kernel is no longer there (culled, shut down, link lost), or None."""
    socket = getattr(client, "channel_socket", None)
    if socket is not None and not getattr(socket, "connected", True):
        return "lost the websocket to the gateway; a fresh kernel starts at the next compare"
    try:
        model = await manager.refresh_model()
    except Exception as err:
        return f"lost the gateway ({type(err).__name__}); a fresh kernel starts at the next compare"
    if model is None:
        return (
            "the gateway shut the kernel down (culled, or stopped there); a fresh kernel "
            "starts at the next compare"
        )
    return None


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to clean up
        await asyncio.wait_for(coro, CONNECT_TIMEOUT_S)


@functools.cache
def _token_client_class() -> Any:
    """GatewayKernelClient with the token on its websocket too (made at first use)."""
    from threading import Thread

    from jupyter_client.utils import ensure_async
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.gateway.managers import GatewayKernelClient
    from jupyter_server.utils import url_escape, url_path_join

    class TokenKernelClient(GatewayKernelClient):
        """jupyter_server's gateway client, with the token on the websocket handshake too.

        The same steps as GatewayKernelClient.start_channels, which opens the
        websocket without the Authorization header that its REST requests carry.
        """

        async def start_channels(  # type: ignore[override]
            self, shell: bool = True, iopub: bool = True, stdin: bool = True,
            hb: bool = True, control: bool = True,
        ) -> None:  # fmt: skip
            import websocket

            config = GatewayClient.instance()
            url = url_path_join(config.ws_url or "", config.kernels_endpoint,
                                url_escape(self.kernel_id), "channels")  # fmt: skip
            header = {"Authorization": f"token {config.auth_token}"} if config.auth_token else {}
            self.channel_socket = websocket.create_connection(
                url, timeout=config.KERNEL_LAUNCH_TIMEOUT, enable_multithread=True,
                header=header,
                sslopt={"ca_certs": config.ca_certs, "certfile": config.client_cert,
                        "keyfile": config.client_key},
            )  # fmt: skip
            await ensure_async(
                super(GatewayKernelClient, self).start_channels(
                    shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control
                )
            )
            self.response_router = Thread(target=self._route_responses, daemon=True)
            self.response_router.start()

    return TokenKernelClient


async def describe(gateway: Gateway, backends: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """(backend -> the kernelspec it would start in, every kernelspec offered).

    Raises:
        FaultError: the gateway cannot be asked (down, token refused).
    """
    try:
        default, offered = await _kernelspecs(gateway)
    except Exception as err:
        raise FaultError(explain(err, gateway, "any")) from None
    specs = {}
    for backend in backends:
        try:
            specs[backend] = spec_for(backend, default, offered, gateway)
        except FaultError:
            specs[backend] = "(none: set KERASNB_GATEWAY_KERNEL)"
    return specs, offered
