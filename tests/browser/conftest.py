"""Real-browser fixtures: one JupyterLab server per session, driven by Chromium.

Every test under tests/browser gets the `browser` marker. A test asks for
`lab` (a `LabPage`) to open a notebook, wait for its kernel and run all
cells; on failure a screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_harness import LabPage, LabServer
from playwright.sync_api import Page

HERE = Path(__file__).parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60


# --- markers and failure artifacts -------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Screenshot the page of a failed browser test while it is still open."""
    report: pytest.TestReport = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and report.when == "call" and page is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the failure
            report.sections.append(("screenshot", f"not taken: {exc}"))
    return report


# --- Chromium ----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, quiet on a closed network (see BROWSER_TESTING.md)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


# --- the JupyterLab server ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_lab_settings(settings_dir: Path) -> None:
    """Keep the news and update pop-ups from covering the page."""
    path = settings_dir / "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _wait_until_ready(server: LabServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            server.get_json("api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            # Pause between polls, returning early if the server dies.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.25)
    raise RuntimeError(
        f"JupyterLab not ready after {SERVER_START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the server shut its kernels down; SIGKILL the group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root, config, settings, workspaces = (
        base / name for name in ("notebooks", "config", "settings", "workspaces")
    )
    for directory in (root, config, workspaces):
        directory.mkdir()
    _write_lab_settings(settings)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser"]
    command += [f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1"]
    command += [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    # window.jupyterapp, for commands, in JupyterLab and in Notebook 7
    command += ["--LabApp.expose_app_in_browser=True"]
    command += ["--JupyterNotebookApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "server.log"
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        _wait_until_ready(server, process, log)
        yield server
    finally:
        _stop(process)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "jupyterlab-server.log")


# --- driving a notebook ------------------------------------------------------


@pytest.fixture
def lab(page: Page, lab_server: LabServer) -> LabPage:
    return LabPage(page, lab_server)
