"""The backend comparison on a real Jupyter Kernel Gateway: success, data, parity, faults.

A session of real `jupyter kernelgateway` processes on loopback, with a
token, serve the backend kernels; a real notebook kernel drives them. One
gateway culls idle kernels with its own settings; another is killed while
a cell runs, to lose its websocket.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from kernel_session import KernelSession, Reply

pytestmark = [pytest.mark.kernel, pytest.mark.backends]

BACKENDS = ("jax", "torch", "tensorflow")
START_TIMEOUT_S = 60


@dataclass
class GatewayServer:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def kernels(self) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.url}/api/kernels", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return list(json.load(response))

    def delete(self, kernel_id: str) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/kernels/{kernel_id}", method="DELETE",
            headers={"Authorization": f"token {self.token}"},
        )  # fmt: skip
        urllib.request.urlopen(request, timeout=10).close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_gateway(folder: Path, *options: str) -> GatewayServer:
    """A real kernel gateway on loopback, whose kernels run this environment's Python."""
    port, token = _free_port(), secrets.token_hex(16)
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    command = [
        sys.executable, "-m", "kernel_gateway", "--KernelGatewayApp.ip=127.0.0.1",
        f"--KernelGatewayApp.port={port}", "--KernelGatewayApp.port_retries=0",
        f"--KernelGatewayApp.auth_token={token}", "--JupyterWebsocketPersonality.list_kernels=True",
        *options,
    ]  # fmt: skip
    log = folder / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=out)
    server = GatewayServer(f"http://127.0.0.1:{port}", token, process, log)
    for _ in range(START_TIMEOUT_S * 4):
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited: {log.read_text()[-3000:]}")
        try:
            server.kernels()
            return server
        except (urllib.error.URLError, ConnectionError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.25)  # a pause that ends early if the server dies
    raise RuntimeError(f"the gateway did not answer: {log.read_text()[-3000:]}")


def _stop(server: GatewayServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayServer]:
    server = _start_gateway(tmp_path_factory.mktemp("gateway"))
    try:
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def notebook(gateway: GatewayServer) -> Iterator[KernelSession]:
    """The notebook kernel; it knows the gateway's token from its environment only."""
    with KernelSession(env={"KERASNB_GATEWAY_TOKEN": gateway.token}) as kernel:
        kernel.ok(
            "%load_ext kerasnb\nimport json, numpy as np, kerasnb\n"
            "rng = np.random.default_rng(0)\n"
            "x = rng.normal(size=(64, 8)).astype('float32')\n"
            "y = (x[:, 0] > 0).astype('int32')"
        )
        kernel.replies: list[Reply] = []  # type: ignore[attr-defined]
        yield kernel


def _run(notebook: KernelSession, code: str) -> Reply:
    reply = notebook.run(code, timeout=600)
    notebook.replies.append(reply)  # type: ignore[attr-defined]
    return reply


def _runs(notebook: KernelSession, name: str = "_r") -> dict[str, Any]:
    return json.loads(notebook.value(f"json.dumps({name}.to_dict())"))["runs"]


def _local_backend_kernels(notebook: KernelSession) -> list[int]:
    children = psutil.Process(notebook.manager.provisioner.pid).children()
    return [c.pid for c in children if "ipykernel_launcher" in " ".join(c.cmdline())]


def test_every_backend_runs_on_the_gateway_with_setup_push_and_parity(
    notebook: KernelSession, gateway: GatewayServer
) -> None:
    said = _run(notebook, f"%keras_compare --use-gateway {gateway.url}")
    assert said.stdout.strip() == (
        f"Backend kernels run on the gateway at {gateway.url} "
        "(with the token from KERASNB_GATEWAY_TOKEN)."
    )
    assert _run(notebook, "%%keras_setup\nimport keras\nLEVEL = 3").status == "ok"
    reply = _run(
        notebook,
        "%%keras_compare --push x,y --parity -o _r\n"
        "model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation='softmax')])\n"
        "model.compile('sgd', 'sparse_categorical_crossentropy')\n"
        "h = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)\n"
        "(keras.backend.backend(), LEVEL, x.shape)",
    )
    assert reply.status == "ok", reply.error_line
    runs = _runs(notebook)
    for backend in BACKENDS:
        assert runs[backend]["status"] == "ok", runs[backend]["error"]
        assert runs[backend]["value"] == f"('{backend}', 3, (64, 8))"
        assert len(runs[backend]["curves"][0]["values"]) == 2
    parity = json.loads(notebook.value("json.dumps(_r.to_dict()['parity'])"))
    assert parity["error"] is None and parity["equalized"] is True
    assert all(not d["flagged"] for d in parity["diffs"].values()), parity["diffs"]
    assert len(gateway.kernels()) == 3 and _local_backend_kernels(notebook) == []
    # The fits' points come back through the gateway's websocket while they run.
    notebook.ok(
        "from kerasnb.comparison import run as compare_run\n"
        f"_pool = kerasnb.compare_kernels({gateway.url!r})\n"
        "_seen = []\n"
        "_job = compare_run.Job(code='h = model.fit(x, y, epochs=3, batch_size=4, verbose=0)',"
        " backends=('jax',), timeout=120, push=None, parity=None)\n"
        "_done = _pool.submit(compare_run.run_all(_pool, _job, _seen.append)).result()"
    )
    seen = notebook.value("[kind for kind, _, _ in _seen]")
    assert seen.count("points") >= 4 and seen[-1] == "done", seen  # each epoch's end at least

    info = _run(notebook, "%keras_backend --no-devices").outputs[-1]["data"]["text/plain"]
    assert info.startswith(f"Backend kernels run on the gateway at {gateway.url}")
    assert "jax         python3" in info and "2.21.0" in info  # tensorflow's warm kernel


def test_a_kernel_the_gateway_shuts_down_mid_run_stays_in_its_column(
    notebook: KernelSession, gateway: GatewayServer
) -> None:
    import threading

    before = {k["id"] for k in gateway.kernels()}
    cell = (
        "%%keras_compare --backends jax,torch -o _r\n"
        "import os, time\n"
        "if os.environ['KERAS_BACKEND'] == 'jax':\n    time.sleep(300)\n"
        "'done'"
    )
    replies: list[Reply] = []
    runner = threading.Thread(target=lambda: replies.append(_run(notebook, cell)))
    runner.start()
    try:
        busy = _wait_for(lambda: [k for k in gateway.kernels() if k["execution_state"] == "busy"])
        gateway.delete(busy[0]["id"])  # what the gateway's own culler does
    finally:
        runner.join(timeout=300)
    assert replies and replies[0].status == "ok"
    runs = _runs(notebook)
    assert runs["jax"]["status"] == "crashed"
    assert runs["jax"]["error"].startswith("the gateway shut the kernel down (culled")
    assert (runs["torch"]["status"], runs["torch"]["value"]) == ("ok", "'done'")
    again = _run(notebook, "%%keras_compare --backends jax -o _r\n'back'")
    assert again.status == "ok" and _runs(notebook)["jax"]["value"] == "'back'"
    assert {k["id"] for k in gateway.kernels()} != before  # a fresh one was started


def _wait_for(condition: Any, limit: int = 2400) -> Any:
    """Poll `condition` (a gateway query) until it holds; fail after `limit` tries."""
    import threading

    pause = threading.Event()
    for _ in range(limit):
        found = condition()
        if found:
            return found
        pause.wait(0.1)
    raise AssertionError("the condition never held")


@pytest.mark.parametrize("fault", ["down", "token", "kernelspec"])
def test_a_gateway_fault_is_one_line_in_the_column(
    notebook: KernelSession, gateway: GatewayServer, fault: str
) -> None:
    url = f"http://127.0.0.1:{_free_port()}" if fault == "down" else gateway.url
    env = {"token": "KERASNB_GATEWAY_TOKEN='wrong'", "kernelspec": "KERASNB_GATEWAY_KERNEL='nope'"}
    setting = env.get(fault, "")
    code = (
        "import os\n_saved = dict(os.environ)\n"
        + (f"os.environ[{setting.split('=')[0]!r}] = {setting.split('=')[1]}\n" if setting else "")
        + f"try:\n    _f = kerasnb.compare('1', backends='jax', gateway={url!r}, timeout=120)\n"
        "finally:\n    os.environ.clear(); os.environ.update(_saved)\n"
        "print(_f.runs['jax'].status, _f.runs['jax'].error)"
    )
    reply = _run(notebook, code)
    assert reply.status == "ok", reply.error_line
    status, message = reply.stdout.strip().split(" ", 1)
    assert status == "error" and "\n" not in message
    expected = {
        "down": f"the gateway at {url} is not answering",
        "token": f"the gateway at {url} refused the token (HTTP 401); set KERASNB_GATEWAY_TOKEN",
        "kernelspec": f"the gateway at {url} has no kernelspec 'nope' for jax (it offers: python3)",
    }[fault]
    assert message.startswith(expected), message


@pytest.fixture(scope="module")
def culling_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayServer]:
    server = _start_gateway(
        tmp_path_factory.mktemp("culling"),
        "--MappingKernelManager.cull_idle_timeout=3",
        "--MappingKernelManager.cull_interval=1",
        "--MappingKernelManager.cull_connected=True",  # our websocket stays open between compares
    )
    try:
        yield server
    finally:
        _stop(server)


def test_a_kernel_culled_by_the_gateways_own_settings_is_started_again(
    notebook: KernelSession, culling_gateway: GatewayServer
) -> None:
    notebook.ok(f"import os\nos.environ['KERASNB_GATEWAY_TOKEN'] = {culling_gateway.token!r}")
    cell = f"%%keras_compare --backends jax --gateway {culling_gateway.url} -o _r\n'first'"
    assert _run(notebook, cell).status == "ok"
    assert _runs(notebook)["jax"]["value"] == "'first'"
    _wait_for(lambda: culling_gateway.kernels() == [])  # idle: culled by the gateway
    assert _run(notebook, cell.replace("'first'", "'again'")).status == "ok"
    assert _runs(notebook)["jax"]["value"] == "'again'"


def test_losing_the_gateway_mid_run_stays_in_its_column(
    notebook: KernelSession, culling_gateway: GatewayServer
) -> None:
    import threading

    cell = (
        f"%%keras_compare --backends jax --gateway {culling_gateway.url} -o _r\n"
        "import time\ntime.sleep(300)"
    )
    _run(notebook, f"%%keras_compare --backends jax --gateway {culling_gateway.url}\n1")  # warm
    replies: list[Reply] = []
    runner = threading.Thread(target=lambda: replies.append(_run(notebook, cell)))
    runner.start()
    try:
        _wait_for(lambda: [k for k in culling_gateway.kernels() if k["execution_state"] == "busy"])
        culling_gateway.process.kill()  # the machine goes away: the websocket drops
    finally:
        runner.join(timeout=300)
    runs = _runs(notebook)
    assert runs["jax"]["status"] == "crashed"
    assert runs["jax"]["error"].startswith(("lost the websocket", "lost the gateway"))


def test_the_token_appears_nowhere_kerasnb_writes(
    notebook: KernelSession, gateway: GatewayServer, culling_gateway: GatewayServer
) -> None:
    replies: list[Reply] = notebook.replies  # type: ignore[attr-defined]
    assert len(replies) >= 6
    written = [json.dumps(r.__dict__, default=str) for r in replies]
    logs = Path(notebook.value("str(kerasnb.compare_kernels()._dir)")).glob("*")
    written += [p.read_text(errors="replace") for p in logs if p.is_file()]
    for token in (gateway.token, culling_gateway.token):
        assert not any(token in text for text in written)
