"""kerasnb's structure, checked from its source: floors, cycles, Keras modules, dependencies.

The rules live in kerasnb/layout.py; these tests read every module's imports
(lazy ones inside functions included, and `importlib.import_module("...")`
with a constant name) from the AST and hold them to those rules.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from kerasnb import layout

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "kernel_ext" / "kerasnb"
PYPROJECT = PACKAGE_DIR.parents[1] / "pyproject.toml"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in sorted(PACKAGE_DIR.rglob("*.py"))
    if "labextension" not in path.parts
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, *, top_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import of `module`, resolved to absolute names.

    `from kerasnb.x import y` yields kerasnb.x.y when that is a module, else kerasnb.x.
    Imports under `if TYPE_CHECKING:` are included: they are arrows too.
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes: list[ast.AST] = list(tree.body) if top_level_only else list(ast.walk(tree))
    if top_level_only:  # module level, including try/if blocks, but no function bodies
        stack, nodes = list(tree.body), []
        while stack:
            node = stack.pop()
            nodes.append(node)
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.If | ast.Try | ast.With):
                stack.extend(ast.iter_child_nodes(node))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in MODULES else base), node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def _own_imports(module: str) -> set[str]:
    return {name for name, _ in _imports(module) if name in MODULES and name != module}


def test_every_module_has_a_floor_and_the_tables_name_real_packages() -> None:
    assert len(MODULES) > 40  # the walk found the package
    for module in MODULES:
        assert layout.floor_of(module) is not None, f"{module} has no floor in kerasnb.layout"
    for name in [*layout.FLOORS, *layout.KERAS_MODULES, *layout.FEATURES]:
        assert name in MODULES, f"kerasnb.layout names {name}, which does not exist"


def test_imports_only_go_down_or_stay_in_their_package() -> None:
    upward = []
    for module in MODULES:
        for name, line in _imports(module):
            if name not in MODULES or _package(name) == _package(module):
                continue
            mine, theirs = layout.floor_of(module), layout.floor_of(name)
            assert mine is not None and theirs is not None
            if theirs >= mine:
                upward.append(f"{module}:{line} imports {name} (floor {mine} -> {theirs})")
    assert upward == []


def _package(module: str) -> str:
    """The top-level piece of kerasnb a module belongs to (kerasnb.live, kerasnb.cli, ...)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle_between_modules_not_even_a_lazy_one() -> None:
    graph = {module: _own_imports(module) for module in MODULES}
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_modules_that_hold_keras_are_declared() -> None:
    """A module that imports Keras (or a declared module) at top level is re-imported
    after a backend switch, so it must be listed in kerasnb.layout.KERAS_MODULES."""
    holds: set[str] = set()
    changed = True
    while changed:
        changed = False
        for module in MODULES:
            if module in holds:
                continue
            names = {name for name, _ in _imports(module, top_level_only=True)}
            if any(n == "keras" or n.startswith("keras.") for n in names) or names & holds:
                holds.add(module)
                changed = True
    assert holds == set(layout.KERAS_MODULES)


def test_every_import_is_a_declared_dependency() -> None:
    """Required imports are dependencies; optional ones (a backend, an export runtime,
    imported where they are installed) are declared in an extra."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    specs = [
        *project["dependencies"],
        *(s for e in project["optional-dependencies"].values() for s in e),
    ]
    declared = {
        re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in specs
    }
    distributions = importlib.metadata.packages_distributions()
    missing = set()
    for module in MODULES:
        for name, line in _imports(module):
            root = name.split(".")[0]
            if root in ("kerasnb", "__future__") or root in sys.stdlib_module_names:
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(root, [root])}
            if not owners & declared:
                missing.add(f"{module}:{line} imports {root} ({', '.join(sorted(owners))})")
    assert missing == set()


def test_every_feature_can_shut_down() -> None:
    import importlib

    for name in layout.FEATURES:
        assert callable(importlib.import_module(name).shutdown), name


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.mark.parametrize(
    "module", ["kerasnb.shared.html", "kerasnb.live.metric_stream", "kerasnb.magics"]
)
def test_load_ext_of_a_submodule_names_the_right_command(
    shell: InteractiveShell, module: str
) -> None:
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("load_ext", module)
    assert str(caught.value) == f"{module} is part of kerasnb; load it with `%load_ext kerasnb`"
    assert module not in shell.extension_manager.loaded


def test_every_submodule_answers_load_ext_so() -> None:
    import importlib

    for module in MODULES:
        if module == "kerasnb" or module.endswith("__main__") or module in layout.KERAS_MODULES:
            continue  # (modules holding Keras would import a backend here)
        loaded = importlib.import_module(module)
        assert callable(getattr(loaded, "load_ipython_extension", None)), module
