"""`kerasnb new-project`, and the round trip: notebook -> package -> trained model.

The round trip is the issue's promise: cells exported from a notebook into a
new project import in a fresh process, train.py trains them for an epoch on
each backend, export.py loads the saved model and exports it for serving,
and the project's own tests pass. One process per backend does all of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from kerasnb import export_notebook, new_project
from kerasnb.errors import KerasnbError
from kernel_session import BACKENDS

KERNEL_EXT = str(Path(__file__).parents[1] / "kernel_ext")
LAYOUT = [
    ".gitignore",
    "README.md",
    "config/default.yaml",
    "export.py",
    "my_proj/__init__.py",
    "my_proj/data/__init__.py",
    "my_proj/data/synthetic.py",
    "my_proj/models/__init__.py",
    "my_proj/models/baseline.py",
    "my_proj/settings.py",
    "pyproject.toml",
    "tests/test_model.py",
    "train.py",
]


def python(*args: str, cwd: Path, backend: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": KERNEL_EXT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("KERAS_BACKEND", None)
    if backend:
        env["KERAS_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_layout_names_the_package_after_the_folder(tmp_path: Path) -> None:
    made = new_project(tmp_path / "my-proj")
    root = tmp_path / "my-proj"
    assert made.package == "my_proj" and list(made.files) == LAYOUT
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == LAYOUT
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "my-proj"' in pyproject and 'packages = ["my_proj"]' in pyproject
    config = yaml.safe_load((root / "config/default.yaml").read_text())
    assert config["backend"] is None
    assert config["model"]["build"] == "my_proj.models.baseline:build_model"
    assert config["data"]["load"] == "my_proj.data.synthetic:load_data"
    assert str(made).startswith(
        f"Created the Keras project {tmp_path / 'my-proj'} (package `my_proj`):"
    )


def test_backend_and_package_options(tmp_path: Path) -> None:
    made = new_project(tmp_path / "p", package="shop", backend="tf")
    config = yaml.safe_load((tmp_path / "p/config/default.yaml").read_text())
    assert made.package == "shop" and config["backend"] == "tensorflow"
    assert (tmp_path / "p/shop/models/baseline.py").is_file()


@pytest.mark.parametrize(
    ("folder", "options", "message"),
    [
        ("taken", {}, "already exists and is not an empty folder; pick a new folder"),
        ("123", {}, "cannot derive a package name from '123'; pass one with --package NAME"),
        ("ok", {"package": "my-pkg"}, "package name 'my-pkg' is not a Python identifier"),
        ("ok", {"backend": "mxnet"}, "use one of: jax, torch, tensorflow"),
    ],
)
def test_mistakes_are_refused_before_writing(
    tmp_path: Path, folder: str, options: dict[str, str], message: str
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(KerasnbError, match=message):
        new_project(tmp_path / folder, **options)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.txt", "taken"]


def test_generated_code_is_lint_clean(tmp_path: Path) -> None:
    new_project(tmp_path / "proj")
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run(
        [str(ruff), "check", "--no-cache", "."],
        cwd=tmp_path / "proj", capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout


# ----------------------------------------------------- notebook -> package -> model

CELLS = [
    "%load_ext kerasnb\nimport keras\nfrom keras import layers\nimport numpy as np",
    """\
%%keras_export shop/models/mlp.py
def build_model(input_shape, num_classes, hidden_units=16):
    \"\"\"A small classifier, defined and tried in the notebook.\"\"\"
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Dense(hidden_units, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))""",
    "build_model([8], 3).summary()  # tried here, not exported",
    """\
%%keras_export shop/data/blobs.py
def load_data(num_samples=128, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=num_samples)
    x = (rng.normal(size=(num_samples, 8)) + y[:, None]).astype("float32")
    return (x[:96], y[:96]), (x[96:], y[96:])""",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new project, filled from a notebook by the headless `kerasnb export`."""
    base = tmp_path_factory.mktemp("roundtrip")
    root = base / "shop-project"
    new_project(root, package="shop")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbformat.write(nb, base / "prototype.ipynb")
    done = python("-m", "kerasnb", "export", "prototype.ipynb", "--to", "shop-project", cwd=base)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "shop/models/mlp.py: written (1 cell)",
        "shop/data/blobs.py: written (1 cell)",
        "prototype.ipynb: saved a kerasnb id in its notebook metadata, so its blocks follow it "
        "if it is renamed or moved",
    ]
    config = yaml.safe_load((root / "config/default.yaml").read_text())
    config["model"] = {"build": "shop.models.mlp:build_model",
                       "args": {"input_shape": [8], "num_classes": 3}}  # fmt: skip
    config["data"] = {"load": "shop.data.blobs:load_data", "args": {}}
    config["train"]["epochs"] = 5
    for backend in BACKENDS:
        config["train"]["output_dir"] = f"artifacts/{backend}"
        (root / f"config/{backend}.yaml").write_text(yaml.safe_dump(config))
    (root / "config/default.yaml").write_text(yaml.safe_dump(config))
    return root


ROUND_TRIP = """\
import sys
import shop.models.mlp, shop.data.blobs  # the exported package, in a fresh process
import pytest, train, export
config = ["--config", "config/{backend}.yaml"]
train.main([*config, "--epochs", "1"])
export.main(config)
import keras
model = keras.saving.load_model("artifacts/{backend}/model.keras")
(x, _), _ = shop.data.blobs.load_data()
print("predictions", tuple(keras.ops.convert_to_numpy(model(x[:2])).shape))
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "tests"]))
"""


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
def test_exported_package_trains_exports_and_tests_on(project: Path, backend: str) -> None:
    done = python("-c", ROUND_TRIP.format(backend=backend), cwd=project, backend=backend)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    artifacts = project / "artifacts" / backend
    assert f"saved artifacts/{backend}/model.keras (backend: {backend})" in out
    assert (artifacts / "best.keras").is_file()  # ModelCheckpoint ran
    serving = {"torch": "model.pt2"}.get(backend, "serving")
    assert f"exported artifacts/{backend}/{serving}" in out and (artifacts / serving).exists()
    assert "predictions (2, 3)" in out
    assert "3 passed" in out


def test_the_package_stays_in_sync_with_its_notebook(project: Path) -> None:
    check = python("-m", "kerasnb", "export", "prototype.ipynb", "--to", project.name, "--check",
                   cwd=project.parent)  # fmt: skip
    assert (check.returncode, check.stderr) == (0, "")
    mlp = project / "shop/models/mlp.py"
    assert "import keras\nfrom keras import layers\n\n__all__ = " in mlp.read_text()
    original = mlp.read_text()
    try:
        mlp.write_text(original.replace("hidden_units=16", "hidden_units=32"))
        drift = export_notebook(project.parent / "prototype.ipynb", project, check=True)
    finally:
        mlp.write_text(original)
    assert not drift.in_sync
    assert str(drift).splitlines() == [
        "shop/models/mlp.py: edited by hand since kerasnb wrote it (1 cell)",
        "shop/data/blobs.py: in sync (1 cell)",
        "The package is out of sync with prototype.ipynb; "
        "run the same command without --check to export it again.",
    ]


def test_template_sources_read_as_python() -> None:
    """The .tmpl files are the generated project's code: keep them compiling."""
    folder = Path(KERNEL_EXT) / "kerasnb" / "export" / "project_template"
    templates = sorted(folder.rglob("*.py.tmpl"))
    assert len(templates) >= 6, f"no templates found under {folder}"
    for template in templates:
        code = template.read_text().replace("$package", "pkg")
        assert compile(textwrap.dedent(code), str(template), "exec") is not None
