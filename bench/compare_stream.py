"""What streaming a compare's points live costs the backends' training steps.

A compare of the small MLP for 3 epochs of 625 steps, run with its fits'
points streamed to the notebook and without, in the same run, alternating.

The target (each backend's steady-state step time with streaming at most
1.03x the same without) is smaller than what two whole compares can tell
apart on a small machine: the three backends' kernels share its cores, so
the median step of one compare differs from the next by tens of percent
with nothing changed. The bench shows that noise floor itself (a plain
compare against another plain one), next to the streamed one against a
plain one, and measures streaming's cost where it is paid instead:

- in each backend kernel, the fit's recorder times every send it makes, so
  `run.timing.stream_share` is the part of the steady-state steps' time the
  fit spent sending points (taking them, packing, handing them to IOPub);
- in the notebook, the extra CPU time it spends receiving the points (a
  streamed compare's CPU time less a plain one's), charged in full to every
  backend, as if it all delayed that backend's steps.

Each backend's ratio is then 1 / (1 - stream_share - notebook share): its
steps' time over the same steps without streaming's work, both measured in
the same streamed compare. The time from a backend's send of its first
points to their arrival in the notebook is the latency (target: under 0.5 s).

Run: .venv/bin/python bench/compare_stream.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from kerasnb.comparison import run as compare_run
from kerasnb.comparison.kernels import BackendKernels

BACKENDS = ("jax", "torch", "tensorflow")
STREAM_TARGET = 1.03  # steady-state step with streaming at most 1.03x without
FIRST_POINT_TARGET_S = 0.5  # a backend's first points to their arrival in the notebook

CELL = """
import numpy as np
import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(20000, 32)).astype("float32")
y = rng.integers(0, 10, size=20000)
model = keras.Sequential([
    keras.Input((32,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=3, batch_size=32, verbose=0)  # 625 steps per epoch
"""


@dataclass
class Compare:
    """One compare of CELL, as the bench saw it."""

    step_s: dict[str, float]  # median steady-state step, per backend
    share: dict[str, float]  # run.timing.stream_share (0 without streaming)
    first_point_s: list[float]  # send -> arrival of each backend's first points
    messages: int  # points messages the notebook received
    cpu_s: float  # the notebook process' CPU time during the compare
    wall_s: float


def compare(pool: BackendKernels, stream: bool) -> Compare:
    first: dict[str, float] = {}
    messages = 0

    def emit(event: compare_run.Event) -> None:
        nonlocal messages
        kind, backend, payload = event
        if kind != "points":
            return
        messages += 1
        if backend not in first and payload.get("sent_at"):
            first[backend] = time.time() - payload["sent_at"]

    job = compare_run.Job(
        code=CELL, backends=BACKENDS, timeout=None, push=None, parity=None, stream=stream
    )
    cpu, wall = time.process_time(), time.perf_counter()
    outcome = pool.submit(compare_run.run_all(pool, job, emit)).result()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    runs = outcome.runs
    if not all(r.ok and r.timing.step_s for r in runs.values()):
        raise SystemExit(f"the streaming cell failed: {runs}")
    if stream and (messages == 0 or any(r.timing.stream_share is None for r in runs.values())):
        raise SystemExit("a streamed compare sent no points: streaming is broken")
    return Compare(
        step_s={b: float(r.timing.step_s or 0.0) for b, r in runs.items()},
        share={b: float(r.timing.stream_share or 0.0) for b, r in runs.items()},
        first_point_s=list(first.values()),
        messages=messages,
        cpu_s=cpu,
        wall_s=wall,
    )


def _range(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f}, {min(values):.2f}-{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of streamed, plain, plain")
    args = parser.parse_args()
    pool = BackendKernels()
    cost: dict[str, list[float]] = {b: [] for b in BACKENDS}
    streamed_wall: dict[str, list[float]] = {b: [] for b in BACKENDS}
    plain_wall: dict[str, list[float]] = {b: [] for b in BACKENDS}
    latencies: list[float] = []
    try:
        compare(pool, True)  # warm: every kernel started, every backend compiled once
        for i in range(args.rounds):
            kinds = ["streamed", "plain", "again"]
            kinds = kinds[i % 3 :] + kinds[: i % 3]  # each takes each place in turn
            seen = {kind: compare(pool, kind == "streamed") for kind in kinds}
            streamed, plain, again = seen["streamed"], seen["plain"], seen["again"]
            notebook = max(0.0, streamed.cpu_s - (plain.cpu_s + again.cpu_s) / 2)
            notebook_share = notebook / streamed.wall_s
            latencies += streamed.first_point_s
            for b in BACKENDS:
                cost[b].append(1 / (1 - streamed.share[b] - notebook_share))
                streamed_wall[b].append(streamed.step_s[b] / plain.step_s[b])
                plain_wall[b].append(again.step_s[b] / plain.step_s[b])
            print(f"round {i + 1}: {streamed.messages} messages, notebook +{notebook * 1e3:.0f} ms "
                  f"CPU ({notebook_share:.2%}); sending: " + ", ".join(
                      f"{b} {streamed.share[b]:.2%}" for b in BACKENDS))  # fmt: skip
    finally:
        pool.close()
    print("median steady-state step of whole compares (wall clock; noise, not a cost):")
    for b in BACKENDS:
        print(f"  {b}: streamed/plain {_range(streamed_wall[b])}; "
              f"plain/plain {_range(plain_wall[b])}")  # fmt: skip
    for b in BACKENDS:
        ratio = statistics.median(cost[b])
        print(f"BENCH compare_stream_step_{b} {ratio:.3f} {STREAM_TARGET} "
              f"{'ok' if ratio <= STREAM_TARGET else 'MISS'}")  # fmt: skip
    latency = max(latencies)
    print(f"BENCH compare_first_point_s {latency:.3f} {FIRST_POINT_TARGET_S} "
          f"{'ok' if latency <= FIRST_POINT_TARGET_S else 'MISS'}")  # fmt: skip


if __name__ == "__main__":
    main()
