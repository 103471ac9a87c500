"""How much `%load_ext kerasnb` costs next to `import keras`, per backend.

Each sample is a fresh Python process with an IPython shell: it times
`%load_ext kerasnb` first (what a notebook pays before choosing anything),
then `import keras` with KERAS_BACKEND set. Run: .venv/bin/python bench/load_ext.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

BACKENDS = ("jax", "torch", "tensorflow")
SAMPLES = 3
TARGET_RATIO = 0.05  # load_ext must cost at most 5% of importing Keras

_CHILD = r"""
import json, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "kerasnb")
t1 = time.perf_counter()
import keras
t2 = time.perf_counter()
print(json.dumps({"load_ext": t1 - t0, "import_keras": t2 - t1}))
"""


def sample(backend: str) -> dict[str, float]:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    lines = []
    print(f"{'backend':<11} {'%load_ext kerasnb':>18} {'import keras':>13} {'ratio':>7}")
    for backend in BACKENDS:
        runs = [sample(backend) for _ in range(SAMPLES)]
        load = statistics.median(r["load_ext"] for r in runs)
        keras = statistics.median(r["import_keras"] for r in runs)
        ratio = load / keras
        print(f"{backend:<11} {load * 1000:>15.1f} ms {keras * 1000:>10.0f} ms {ratio:>7.3f}")
        verdict = "ok" if ratio <= TARGET_RATIO else "MISS"
        lines.append(
            f"BENCH load_ext_vs_import_keras_{backend} {ratio:.3f} {TARGET_RATIO} {verdict}"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
