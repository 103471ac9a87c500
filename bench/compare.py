"""What `kerasnb.compare` costs next to doing the same by hand.

Cold: one compare with no kernel started yet, of a cell that imports Keras
and fits a small MLP for one epoch, against running that same code in three
fresh Python processes one after another (what a user does without kerasnb).
Warm: the same compare again on the warm kernels, against the slowest
backend's own time for the cell inside its kernel; the difference is what
kerasnb adds (messages, setup, report).

Streaming's cost is measured by bench/compare_stream.py.

Anchors are measured in the same run, so the ratios hold on any machine.
Run: .venv/bin/python bench/compare.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import kerasnb
from kerasnb.comparison.kernels import BackendKernels

BACKENDS = ("jax", "torch", "tensorflow")
COLD_TARGET = 0.6  # cold compare at most 0.6x the three sequential runs
WARM_TARGET_S = 0.25  # warm compare at most 0.25 s beyond the slowest backend
GATEWAY_TARGET_S = 0.3  # a warm compare through a kernel gateway at most 0.3 s more than local

CELL = """
import numpy as np
import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(2048, 32)).astype("float32")
y = rng.integers(0, 10, size=2048)
model = keras.Sequential([
    keras.Input((32,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
round(float(history.history["loss"][-1]), 3)
"""


def sequential_s() -> float:
    """Three fresh processes, one per backend, one after another."""
    started = time.perf_counter()
    for backend in BACKENDS:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
        subprocess.run([sys.executable, "-c", CELL], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def cold_and_warm_s(warm_rounds: int) -> tuple[float, list[tuple[float, float]]]:
    """(cold compare, [(warm compare, slowest backend's own time), ...])."""
    pool = BackendKernels()
    try:
        started = time.perf_counter()
        result = kerasnb.compare(CELL, BACKENDS, kernels=pool)
        cold = time.perf_counter() - started
        _check(result)
        warm = []
        for _ in range(warm_rounds):
            started = time.perf_counter()
            result = kerasnb.compare(CELL, BACKENDS, kernels=pool)
            elapsed = time.perf_counter() - started
            _check(result)
            warm.append((elapsed, max(r.wall_s or 0.0 for r in result.runs.values())))
        return cold, warm
    finally:
        pool.close()


def _check(result: kerasnb.CompareResult) -> None:
    if not result.ok:
        failed = {b: r.error for b, r in result.runs.items() if not r.ok}
        raise SystemExit(f"the benchmark cell failed: {failed}")


def gateway_vs_local(rounds: int) -> None:
    """Warm compares on a real `jupyter kernelgateway` on loopback against local kernels."""
    import secrets
    import socket
    import tempfile
    import time as clock
    import urllib.request

    from kerasnb.comparison import gateway as gateways

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    folder = tempfile.mkdtemp()
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
           "JUPYTER_RUNTIME_DIR": folder}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "kernel_gateway", "--KernelGatewayApp.ip=127.0.0.1",
         f"--KernelGatewayApp.port={port}", f"--KernelGatewayApp.auth_token={token}"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            urllib.request.urlopen(f"{url}/api", timeout=2).close()
            break
        except OSError:
            clock.sleep(0.1)  # a benchmark's own set-up, not a test
    os.environ[gateways.ENV_TOKEN] = token
    local, remote = BackendKernels(), BackendKernels(gateway=gateways.resolve(url))
    try:
        for pool in (local, remote):
            _check(kerasnb.compare(CELL, BACKENDS, kernels=pool))  # warm
        extra = []
        for i in range(rounds):
            times = {}
            for pool in (local, remote) if i % 2 == 0 else (remote, local):
                started = clock.perf_counter()
                _check(kerasnb.compare(CELL, BACKENDS, kernels=pool))
                times[pool is remote] = clock.perf_counter() - started
            extra.append(times[True] - times[False])
            print(f"gateway round {i + 1}: local {times[False]:.3f} s, gateway {times[True]:.3f} s")
    finally:
        local.close()
        remote.close()
        server.terminate()
    difference = statistics.median(extra)
    print(f"BENCH compare_gateway_extra_s {difference:.3f} {GATEWAY_TARGET_S} "
          f"{'ok' if difference <= GATEWAY_TARGET_S else 'MISS'}")  # fmt: skip


def push_sizes() -> None:
    """How long pushing arrays of growing size takes (a warm local kernel)."""
    import numpy as np

    pool = BackendKernels()
    try:
        kerasnb.compare("1", ("jax",), kernels=pool)
        for mb in (1, 10, 100):
            x = np.ones(mb * 2**20 // 4, dtype="float32")
            started = time.perf_counter()
            _check(kerasnb.compare("x.nbytes", ("jax",), push={"x": x}, kernels=pool))
            print(f"push of {mb} MB to one backend: {time.perf_counter() - started:.2f} s")
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="cold/sequential pairs (median)")
    parser.add_argument("--warm", type=int, default=5, help="warm compares per round")
    parser.add_argument("--gateway-rounds", type=int, default=5, help="gateway/local pairs")
    args = parser.parse_args()
    push_sizes()
    gateway_vs_local(args.gateway_rounds)

    colds, sequentials, overheads = [], [], []
    for i in range(args.rounds):
        sequential = sequential_s()
        cold, warm = cold_and_warm_s(args.warm)
        sequentials.append(sequential)
        colds.append(cold)
        overheads += [elapsed - slowest for elapsed, slowest in warm]
        print(f"round {i + 1}: sequential {sequential:.1f} s, cold compare {cold:.1f} s")
        for elapsed, slowest in warm:
            print(f"  warm compare {elapsed:.3f} s, slowest backend {slowest:.3f} s")

    cold_ratio = statistics.median(colds) / statistics.median(sequentials)
    overhead = statistics.median(overheads)
    print(f"cold compare / three sequential processes: {cold_ratio:.2f}")
    print(f"warm compare overhead beyond the slowest backend: {overhead:.3f} s")
    print(
        f"BENCH compare_cold_vs_sequential {cold_ratio:.2f} {COLD_TARGET} "
        f"{'ok' if cold_ratio <= COLD_TARGET else 'MISS'}"
    )
    print(
        f"BENCH compare_warm_overhead_s {overhead:.3f} {WARM_TARGET_S} "
        f"{'ok' if overhead <= WARM_TARGET_S else 'MISS'}"
    )


if __name__ == "__main__":
    main()
