"""The per-fold similarity work of notebook 05 that no other benchmark times, at ML20M's size.

    .venv/bin/python tests/benchmarks/bench_fold_matrices.py [--json rates.json]

- frozen_mean_fold: `frozen_mean.fold_similarity` on 13,571 trailers' 1280-d frozen means, its
  PCA (to 256) fitted on the fold's training movies, then the 13,571 x 13,571 similarity matrix:
  once per fold (not once per method as the trained embeddings' matrices);
- random_similarity_fold: the authors' control, a fresh symmetric random 13,600 x 13,600 matrix
  per fold (`predictors.random_similarity`).
Both are what project_ml20m.py adds to 05 per fold; measured on this machine's cores (no GPU
code), so a 16-core box is at least as fast. Not a test: it prints `RATE` lines.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from vt2lib.profiles import load_profile  # noqa: E402
from vt2lib.rating import predictors as P  # noqa: E402
from vt2lib.rating.frozen_mean import fold_similarity  # noqa: E402

TRAILERS, MOVIES, FEATURE_DIM = 13_571, 13_600, 1280


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", type=Path, help="add the rates to this rates.json (project_ml20m.py --rates)")
    args = ap.parse_args(argv)
    cfg = load_profile("ml20m")
    rng = np.random.default_rng(0)
    usable = rng.gamma(0.6, 0.5, (TRAILERS, FEATURE_DIM)).astype(np.float32)
    rows = np.arange(TRAILERS)
    train = dataclasses.make_dataclass("Train", ["item"])(rng.integers(0, TRAILERS, 1_000_000))  # 90% of movies
    dim = 256
    where = f"measured here: {os.cpu_count()} cores, bench_fold_matrices.py"
    rates = {
        "frozen_mean_fold": (best_of(lambda: fold_similarity(cfg, rows, usable, train, dim)), "s/fold",
                             f"PCA of {TRAILERS:,} x {FEATURE_DIM} to {dim} on the training movies + similarity matrix"),
        "random_similarity_fold": (best_of(lambda: P.random_similarity(MOVIES, 0)), "s/fold",
                                   f"{MOVIES:,} x {MOVIES:,} symmetric uniform matrix"),
    }
    for name, (value, unit, note) in rates.items():
        print(f"RATE {name} {value:.4g} {unit}  {note}")
        if args.json:
            from vt2lib.io import update_json
            update_json(args.json, name, {"value": value, "unit": unit, "note": note, "where": where})


if __name__ == "__main__":
    main()
