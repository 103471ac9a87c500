"""The installed `kerasnb` command, run as a user would: from a fresh shell, by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

BIN = Path(sys.executable).parent  # the environment's scripts, where pip put `kerasnb`


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`command` in a new bash that knows nothing but PATH: no PYTHONPATH, no venv activation."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_console_script_is_installed_and_exports_a_notebook(tmp_path: Path) -> None:
    assert (BIN / "kerasnb").is_file()
    found = _shell("command -v kerasnb && kerasnb --help", tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0] == str(BIN / "kerasnb")
    assert "export" in found.stdout and "new-project" in found.stdout

    source = "%%keras_export pkg/ops.py\ndef double(x):\n    return 2 * x\n"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]),
                   tmp_path / "nb.ipynb")  # fmt: skip
    (tmp_path / "out").mkdir()
    exported = _shell("kerasnb export nb.ipynb --to out", tmp_path)
    assert exported.returncode == 0, exported.stderr
    module = tmp_path / "out" / "pkg" / "ops.py"
    assert "def double(x):" in module.read_text()
    assert _shell("kerasnb export nb.ipynb --to out --check", tmp_path).returncode == 0

    module.write_text(module.read_text() + "\nEDITED = True\n")
    drifted = _shell("kerasnb export nb.ipynb --to out --check", tmp_path)
    assert drifted.returncode == 1 and "pkg/ops.py" in drifted.stdout
    missing = _shell("kerasnb export missing.ipynb --to out", tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1].startswith("kerasnb: error: ")
