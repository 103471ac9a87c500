"""Shared fixtures. Tests under tests/browser have their own conftest."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kernel_session import BACKENDS, KernelSession  # noqa: E402


@pytest.fixture(scope="module", params=BACKENDS)
def backend_kernel(request: pytest.FixtureRequest) -> Iterator[KernelSession]:
    """One real kernel per backend, shared by the tests of a module."""
    with KernelSession(env={"KERAS_BACKEND": request.param}) as kernel:
        kernel.backend = request.param  # type: ignore[attr-defined]
        yield kernel


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tutorial notebooks (collected by nbval) carry the `notebook` marker."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.kernel)
