"""What `kerasnb.doctor` costs next to what it stands in for, measured in the same run.

In-kernel checks (serialization, mixed precision, trainability) on the
digits MLP against one `model.save` + `keras.saving.load_model` round trip
of the same model (target: at most 5x); the parity check against a warm
`kerasnb.compare` of a cell that predicts with the same model on the same
backends (target: at most 1.5x). Medians of a few rounds, after a warm-up
round that compiles and starts the kernels.

Run: KERAS_BACKEND=jax .venv/bin/python bench/doctor.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from sklearn.datasets import load_digits

import kerasnb
from kerasnb.comparison.kernels import BackendKernels

IN_KERNEL = "serialization,mixed_precision,trainability"
IN_KERNEL_TARGET = 5.0
PARITY_TARGET = 1.5
OTHERS = [b for b in ("jax", "torch", "tensorflow") if b != keras.backend.backend()]


def digits_mlp() -> tuple[keras.Model, np.ndarray, np.ndarray]:
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, digits.target, epochs=1, batch_size=64, verbose=0)
    return model, x[:32], digits.target[:32]


def round_trip_s(model: keras.Model) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        model.save(Path(folder) / "m.keras")
        keras.saving.load_model(Path(folder) / "m.keras")
        return time.perf_counter() - started


def doctor_s(model: keras.Model, x: np.ndarray, checks: str, pool: BackendKernels) -> float:
    started = time.perf_counter()
    report = kerasnb.doctor(model, x, backends=OTHERS, checks=checks, kernels=pool)
    elapsed = time.perf_counter() - started
    bad = [f for f in report.checks if f.status in ("fail", "warn")]
    if bad:
        raise SystemExit(f"the benchmark model is not clean: {bad}")
    return elapsed


def compare_s(model: keras.Model, x: np.ndarray, pool: BackendKernels) -> float:
    """What parity does by hand: send the model and the sample, predict on each backend."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        model.save(Path(folder) / "m.keras")
        weights = np.frombuffer((Path(folder) / "m.keras").read_bytes(), dtype=np.uint8)
        cell = (
            "import io, tempfile, keras, pathlib\n"
            "path = pathlib.Path(tempfile.mkdtemp()) / 'm.keras'; path.write_bytes(bytes(weights))\n"
            "keras.saving.load_model(path).predict(x, verbose=0).shape"
        )
        result = kerasnb.compare(cell, OTHERS, push={"weights": weights, "x": x}, kernels=pool)
        elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the anchor compare failed: {result.runs}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    model, x, _ = digits_mlp()
    pool = BackendKernels()
    try:
        doctor_s(model, x, IN_KERNEL + ",parity", pool)  # warm up: compile, start kernels
        compare_s(model, x, pool)
        trip, checks, parity, anchor = [], [], [], []
        for _ in range(rounds):
            trip.append(round_trip_s(model))
            checks.append(doctor_s(model, x, IN_KERNEL, pool))
            anchor.append(compare_s(model, x, pool))
            parity.append(doctor_s(model, x, "parity", pool))
    finally:
        pool.close()
    backend = keras.backend.backend()
    ratio = statistics.median(checks) / statistics.median(trip)
    print(f"{backend}: in-kernel checks {statistics.median(checks):.3f} s, "
          f"save+load round trip {statistics.median(trip):.3f} s")  # fmt: skip
    print(f"BENCH doctor_vs_round_trip_{backend} {ratio:.2f} {IN_KERNEL_TARGET} "
          f"{'ok' if ratio <= IN_KERNEL_TARGET else 'MISS'}")  # fmt: skip
    ratio = statistics.median(parity) / statistics.median(anchor)
    print(f"{backend}: parity on {','.join(OTHERS)} {statistics.median(parity):.3f} s, "
          f"warm compare of the same predictions {statistics.median(anchor):.3f} s")  # fmt: skip
    print(f"BENCH doctor_parity_vs_compare_{backend} {ratio:.2f} {PARITY_TARGET} "
          f"{'ok' if ratio <= PARITY_TARGET else 'MISS'}")  # fmt: skip


if __name__ == "__main__":
    main()
