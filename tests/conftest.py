"""Shared fixtures, and the guard against tests that check nothing.

Tests under tests/browser have their own conftest.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The suite's helpers check things too (KernelSession.ok asserts a cell ran):
# rewrite their asserts so the guard below counts them.
pytest.register_assert_rewrite("kernel_session", "widget_client", "lab_harness", "lab_client")

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


# -- no test may pass by checking nothing --------------------------------------
#
# pytest's own hook for passing asserts (enable_assertion_pass_hook in
# pyproject.toml) counts every assert that held during a test, in test modules
# and in the helpers above; pytest.raises/warns and Playwright's expect() are
# checks too. A test function that ends with none of them fails: a loop over
# nothing, a glob that finds nothing, or a test that only runs code.

_checks = {"count": 0}


def pytest_assertion_pass(item: pytest.Item, lineno: int, orig: str, expl: str) -> None:
    _checks["count"] += 1


def _counting(check: Any) -> Any:
    @functools.wraps(check)
    def counted(*args: Any, **kwargs: Any) -> Any:
        _checks["count"] += 1
        return check(*args, **kwargs)

    return counted


pytest.raises = _counting(pytest.raises)  # type: ignore[assignment]
pytest.warns = _counting(pytest.warns)  # type: ignore[assignment]
try:
    import playwright.sync_api as _playwright

    _playwright.expect = _counting(_playwright.expect)  # before any test module imports it
except ImportError:  # pragma: no cover - playwright is in the lock
    pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    _checks["count"] = 0
    yield  # a failing test raises here, and is reported as it failed
    if isinstance(item, pytest.Function) and _checks["count"] == 0:
        pytest.fail(
            f"{item.name} passed without checking anything (no assert held, no "
            "pytest.raises, no expect): it cannot catch a regression",
            pytrace=False,
        )
