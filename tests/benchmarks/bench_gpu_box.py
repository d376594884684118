"""The rates behind RESULTS.md's "ml20m on one GPU box" table, measured on the machine it runs on.

    python3 tests/benchmarks/bench_gpu_box.py [features training training_side_by_side fm content]  # default: all

Each stage runs the ml20m profile's heavy step at its real sizes on synthetic inputs (no data
files, no network) and prints one `RATE <stage> <value> <unit>` line:
- features: frozen MobileNetV2 (alpha 1.0, 224x224, batch 256, the profile's backend and mixed
  precision) on uint8 keyframes: keyframes/s;
- training: the paper's embedding network (2x256 BiLSTM, 1280-d features, S = 10, batch 32, all
  three heads, 13,571 trailer ids) for 200 steps after a warm-up: sequences/s;
- training_side_by_side: the same network in `train_workers` processes at once (notebook 03 on
  ml20m): sequences/s of them all;
- fm: the JAX Gibbs sampler at rank 32 on an ML20M-sized fold (15.1M train ratings): s/sweep;
- content: Eq. 1 for every test pair of that fold with 256-d item vectors (numba, all cores): s/fold.
On a GPU box it is run by device_scale.sh (< 4 minutes); on a CPU it measures the same steps.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]
from bench_content_based import synthetic_fold  # noqa: E402

from vt2lib.config import load_profile  # noqa: E402

ML20M = dataclasses.replace(load_profile("ml20m"), backbone_weights="none", mixed_precision=True)


def rate(stage: str, value: float, unit: str, note: str = "") -> None:
    print(f"RATE {stage} {value:.4g} {unit}  {note}", flush=True)


def features(n_batches: int = 20) -> None:
    from vt2lib.video.features import build_frame_encoder
    size, batch = ML20M.image_size, ML20M.feature_batch_size
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8)
    encoder, _ = build_frame_encoder(ML20M, calibration_images=x[:64])
    encoder.predict_on_batch(x)  # compile
    t0 = time.perf_counter()
    for _ in range(n_batches):
        out = encoder.predict_on_batch(x)
    np.asarray(out)
    rate("features", n_batches * batch / (time.perf_counter() - t0), "keyframes/s",
         f"MobileNetV2 {size}x{size}, batch {batch}, {ML20M.feature_backend}, mixed precision")


def _training_model_and_batches(steps: int, n_trailers: int, seq_len: int):
    """The paper's network (compiled: one warm-up fit) and `steps` batches of 32 random sequences."""
    from vt2lib.embedding.model import build_models
    model, _ = build_models(ML20M, 1280, seq_len, n_trailers)
    rng = np.random.default_rng(0)
    n = 32 * steps
    x = rng.standard_normal((n, seq_len, 1280)).astype(np.float32)
    y = {"rating": rng.uniform(0.5, 5, (n, 1)).astype(np.float32),
         "genre": (rng.random((n, 20)) < 0.1).astype(np.float32),
         "trailer_id": rng.integers(0, n_trailers, n)}
    model.fit(x[:64], {k: v[:64] for k, v in y.items()}, batch_size=32, epochs=1, verbose=0)  # compile
    return model, x, y


def training(steps: int = 200, n_trailers: int = 13_571, seq_len: int = 10) -> None:
    model, x, y = _training_model_and_batches(steps, n_trailers, seq_len)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    rate("training", len(x) / (time.perf_counter() - t0), "sequences/s",
         f"2x{ML20M.lstm_units} BiLSTM, S = {seq_len}, batch 32, {ML20M.keras_backend}")


def _training_worker(steps: int, n_trailers: int, seq_len: int, start, out) -> None:
    """One of training_side_by_side's processes: compile, wait for the others, time its steps.
    (build_models sets ML20M's backend: with train_workers > 1, no process takes 75% of the GPU.)"""
    model, x, y = _training_model_and_batches(steps, n_trailers, seq_len)
    start.wait()
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    out.put((len(x), t0, time.perf_counter()))


def training_side_by_side(steps: int = 200, n_trailers: int = 13_571, seq_len: int = 10) -> None:
    """`ML20M.train_workers` networks at once, each in its own process (as notebook 03 trains
    them, vt2lib.embedding.side_by_side): sequences/s of all of them together."""
    import multiprocessing
    k = ML20M.train_workers
    spawn = multiprocessing.get_context("spawn")
    start, out = spawn.Barrier(k), spawn.Queue()
    procs = [spawn.Process(target=_training_worker, args=(steps, n_trailers, seq_len, start, out)) for _ in range(k)]
    for p in procs:
        p.start()
    done = [out.get() for _ in procs]
    for p in procs:
        p.join()
    seconds = max(end for _, _, end in done) - min(t0 for _, t0, _ in done)
    rate("training_side_by_side", sum(n for n, _, _ in done) / seconds, "sequences/s",
         f"{k} networks at once (one process each), 2x{ML20M.lstm_units} BiLSTM, S = {seq_len}, batch 32")


def fm(n_sweeps: int = 5) -> None:
    from bench_fm import jax_seconds_per_sweep
    train, test_u, test_i, _ = synthetic_fold(dim=1)
    first, per = jax_seconds_per_sweep(train, test_u, test_i, ML20M.fm_rank, n_sweeps)
    rate("fm", per, "s/sweep", f"rank {ML20M.fm_rank}, {len(train.user):,} train ratings, compile+1st {first:.1f} s")


def content() -> None:
    from vt2lib.rating.predictors import content_based, similarity_matrix
    train, test_u, test_i, vectors = synthetic_fold()
    content_based(train, test_u[:1000], test_i[:1000], similarity_matrix(vectors[:10]), np.zeros(train.n_items, int))
    t0 = time.perf_counter()
    sim = similarity_matrix(vectors)
    content_based(train, test_u, test_i, sim, np.arange(train.n_items))
    rate("content", time.perf_counter() - t0, "s/fold", f"{len(test_u):,} test pairs, {vectors.shape[1]}-d vectors")


STAGES = {"features": features, "training": training, "training_side_by_side": training_side_by_side, "fm": fm,
          "content": content}

if __name__ == "__main__":  # (the guard matters: training_side_by_side spawns processes that import this)
    for name in sys.argv[1:] or list(STAGES):
        t = time.perf_counter()
        STAGES[name]()
        print(f"  ({name}: {time.perf_counter() - t:.0f} s in all)", flush=True)
