"""The course on every backend: each tutorial, top to bottom, on the backends it was not saved with.

nbval (the suite's default for notebooks/) re-runs each notebook on the
backend it was saved with and compares its outputs. Here the same notebooks
run with KERAS_BACKEND set in the kernel's environment, which the notebook's
`%keras_backend NAME --default` cell yields to. Outputs are not compared
(numbers, timings and which export formats work differ by backend), but every
cell must run and each notebook's closing asserts must pass, so the whole
course is proven on all three backends.

Each run is its own kernel, so two run at once (the machine has two cores);
a test waits for its own run, which was started in test order.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from kernel_session import BACKENDS, QUIET_ENV

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TUTORIALS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CHOICE = re.compile(r"^%keras_backend\s+(\w+)\s+--default\s*$", re.MULTILINE)
PARALLEL_RUNS = 2
CELL_TIMEOUT_S = 600


def saved_backend(path: Path) -> str:
    """The backend a tutorial chooses (and was saved with): its `%keras_backend NAME --default`."""
    notebook = nbformat.read(path, as_version=4)
    choices = [
        m.group(1)
        for c in notebook.cells
        if c.cell_type == "code"
        for m in CHOICE.finditer(c.source)
    ]
    assert len(choices) == 1, (
        f"{path.name} must choose its backend in one cell, `%keras_backend NAME --default`; "
        f"found {len(choices)}"
    )
    return choices[0]


CASES = [
    (path, backend) for path in TUTORIALS for backend in BACKENDS if backend != saved_backend(path)
]


@dataclass(frozen=True)
class CourseRun:
    """What running one tutorial on one backend ended with."""

    failure: str | None  # the failing cell and its error, or None when every cell ran


def run_tutorial(path: Path, backend: str) -> CourseRun:
    """Execute a tutorial in a fresh kernel whose environment says KERAS_BACKEND=backend."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = {**os.environ, **QUIET_ENV, "KERAS_BACKEND": backend}
    try:
        asyncio.run(client.async_execute(env=env))
    except CellExecutionError as error:
        return CourseRun(failure=_describe_failure(notebook, path, backend, error))
    return CourseRun(failure=None)


def _describe_failure(
    notebook: nbformat.NotebookNode, path: Path, backend: str, error: CellExecutionError
) -> str:
    """The failing cell's number and source, and its error as the notebook shows it."""
    ran = [
        (i, c)
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and c.get("execution_count")
    ]
    failing = [(i, c) for i, c in ran if any(o.output_type == "error" for o in c.outputs)]
    index, cell = (failing or ran or [(-1, None)])[-1]
    source = cell.source if cell is not None else "(no cell ran)"
    return f"{path.name} on {backend}: cell {index} failed\n{source}\n{error.ename}: {error.evalue}"


class CourseRunner:
    """Starts the selected runs, PARALLEL_RUNS at a time, in test order."""

    def __init__(self, cases: list[tuple[Path, str]]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS, thread_name_prefix="course")
        self._runs: dict[tuple[Path, str], Future[CourseRun]] = {
            case: self._pool.submit(run_tutorial, *case) for case in cases
        }

    def result(self, path: Path, backend: str) -> CourseRun:
        return self._runs[(path, backend)].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def course(request: pytest.FixtureRequest) -> Iterator[CourseRunner]:
    """Runs exactly the cases that were selected (`-k`, `-m`), none more."""
    selected = [
        (item.callspec.params["path"], item.callspec.params["backend"])
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.module is request.module
        and item.originalname == "test_tutorial_runs_on_another_backend"
    ]
    runner = CourseRunner(selected)
    yield runner
    runner.close()


def test_the_course_is_numbered_and_each_tutorial_chooses_one_backend() -> None:
    assert [p.name[:2] for p in TUTORIALS] == [f"{n:02d}" for n in range(1, len(TUTORIALS) + 1)]
    assert all(saved_backend(p) in BACKENDS for p in TUTORIALS)


@pytest.mark.notebook
@pytest.mark.kernel
@pytest.mark.parametrize(("path", "backend"), CASES, ids=[f"{p.stem}-{b}" for p, b in CASES])
def test_tutorial_runs_on_another_backend(course: CourseRunner, path: Path, backend: str) -> None:
    run = course.result(path, backend)
    assert run.failure is None, run.failure
