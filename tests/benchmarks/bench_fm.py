"""Benchmark: seconds per Gibbs sweep of the Bayesian FM, myfm (C++, one core) vs the JAX sampler.

    .venv/bin/python tests/benchmarks/bench_fm.py            # CPU: both backends, ML-1M- and ML20M-sized folds
    python3 tests/benchmarks/bench_fm.py --device            # GPU box: JAX at scale + agreement with myfm
    python3 tests/benchmarks/bench_fm.py --side              # cost of item side-feature columns (notebook 09)
    .venv/bin/python tests/benchmarks/bench_fm.py --row-order   # rows sorted by user vs interleaved (FMData.build)

Folds come from bench_content_based.synthetic_fold (popularity- and activity-skewed like
ML20M): ML-1M-sized (1M ratings) and ML20M-sized (~15M ratings, 138,493 users, 13,600
items). Ranks 8 and 32, one run, with the ratio. The JAX time excludes the one-off
compilation (reported separately); myfm is timed over a few sweeps of one fit.
--device adds, on the ML-100k-sized planted data of tests/test_fm_gibbs.py: the 10-fold
median RMSE of JAX (on the GPU) next to myfm's (on the CPU), and the run-to-run difference
of two JAX fits with the same seed.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_content_based import synthetic_fold  # noqa: E402

from vt2lib.rating import fm_gibbs as G  # noqa: E402


def jax_seconds_per_sweep(train, test_u, test_i, rank: int, n_sweeps: int, side=None, flavour: str = "myfm"
                          ) -> tuple[float, float]:
    """(compile + first sweep, seconds per sweep after it); `side`: (n_items, d) item side features."""
    data = G.FMData.build(train, side)
    t0 = time.perf_counter()
    G.gibbs_fm(data, test_u, test_i, rank=rank, n_iter=1, seed=0, flavour=flavour)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    G.gibbs_fm(data, test_u, test_i, rank=rank, n_iter=n_sweeps, seed=0, flavour=flavour)
    return first, (time.perf_counter() - t0) / n_sweeps


def myfm_seconds_per_sweep(train, rank: int, n_sweeps: int) -> float:
    from vt2lib.rating.fm import _import_myfm, _quiet_myfm, myfm_design
    myfm = _import_myfm()
    X, X_rel = myfm_design(train.user, train.item, train.n_users, train.n_items)  # as fm_fit gives it
    fm = myfm.MyFMRegressor(rank=rank, random_seed=0)
    t0 = time.perf_counter()
    with _quiet_myfm():
        fm.fit(X, train.rating.astype(np.float64), X_rel=X_rel, n_iter=n_sweeps)
    return (time.perf_counter() - t0) / n_sweeps


def compare(label, fold, ranks=(8, 32), jax_sweeps=5, myfm_sweeps=2, with_myfm=True):
    train, test_u, test_i, _ = fold
    print(f"{label}: {len(train.user):,} train / {len(test_u):,} test ratings, "
          f"{train.n_users:,} users, {train.n_items:,} items")
    for rank in ranks:
        first, per = jax_seconds_per_sweep(train, test_u, test_i, rank, jax_sweeps)
        line = f"  rank {rank:2d}: jax ({G._jax()[0].devices()[0].platform}) {per:8.3f} s/sweep (compile + 1st: {first:.1f} s)"
        if with_myfm:
            ref = myfm_seconds_per_sweep(train, rank, myfm_sweeps)
            line += f"   myfm {ref:8.3f} s/sweep   myfm / jax = {ref / per:.1f}x"
        print(line, flush=True)


def device_agreement():
    """JAX on this device vs myfm on the CPU: 10-fold median RMSE on planted ML-100k-sized data."""
    from test_fm_gibbs import planted, ratings

    from vt2lib.rating.evaluation import assign_folds
    from vt2lib.rating.fm import fm_fit
    u, i, y, _ = planted()
    fold = assign_folds(len(y), 10, 42)
    medians = {}
    backends = ["jax"]
    try:
        from vt2lib.rating.fm import _import_myfm
        _import_myfm()
        backends.append("myfm")
    except ImportError:
        print("  myfm is not installed here: agreement not measured")
    for backend in backends:
        rmse = []
        for k in range(10):
            tr, te = fold != k, fold == k
            pred = fm_fit(ratings(u[tr], i[tr], y[tr], 943, 1682), u[te], i[te], rank=8, n_iter=100, seed=k,
                          backend=backend).prediction
            rmse.append(np.sqrt(np.mean((pred - y[te]) ** 2)))
        medians[backend] = float(np.median(rmse))
    print(f"  planted ML-100k-sized data, rank 8, 100 sweeps, 10 folds: median RMSE {medians} "
          f"(|diff| <= 0.004 required)")
    tr = fold != 0
    data = G.FMData.build(ratings(u[tr], i[tr], y[tr], 943, 1682))
    a, b = (G.gibbs_fm(data, u[~tr], i[~tr], rank=8, n_iter=30, seed=1).prediction for _ in range(2))
    print(f"  same seed twice on this device: max abs difference {np.abs(a - b).max():.2e}")


def side_feature_cost(n_sweeps: int = 2):
    """Seconds per rank-32 sweep on an ML20M-sized fold with 0, 19 and 51 dense item side columns
    (notebook 09: genres, genres + 32 PCA dimensions of the trailer embedding)."""
    train, test_u, test_i, _ = synthetic_fold(dim=1)
    rng = np.random.default_rng(0)
    for d in (0, 19, 51):
        side = rng.normal(size=(train.n_items, d)).astype(np.float32) if d else None
        first, per = jax_seconds_per_sweep(train, test_u, test_i, 32, n_sweeps, side)
        print(f"  {d:2d} side columns: {per:7.2f} s/sweep (compile + 1st: {first:.1f} s)", flush=True)


def row_order_cost(n_sweeps: int = 20, repeats: int = 3):
    """Seconds per sweep, one core's worth of work, with the training rows sorted by user (the
    sampler's order before 2026-12-07) and as FMData.build gives them (each user's first rating,
    then each user's second, ...): on sorted rows the per-user scatter-adds queue on one address.
    The best of `repeats` timings of `n_sweeps` sweeps (this VM's neighbours move single ones)."""
    import dataclasses
    from test_fm_gibbs import planted, ratings
    u, i, y, _ = planted()
    ml100k = G.FMData.build(ratings(u, i, y, 943, 1682))
    ml1m, test_u, test_i, _ = synthetic_fold(6_040, 3_700, 1_000_209, dim=1)
    for label, data, tu, ti in (("ML-100k-sized (planted)", ml100k, u[:10_000], i[:10_000]),
                                ("ML-1M-sized", G.FMData.build(ml1m), test_u, test_i)):
        by_user = np.argsort(data.user, kind="stable")
        orders = {"sorted by user": dataclasses.replace(data, user=data.user[by_user], item=data.item[by_user],
                                                          y=data.y[by_user]), "interleaved (build)": data}
        for rank in (8, 32):
            line = []
            for name, d in orders.items():
                G.gibbs_fm(d, tu, ti, rank=rank, n_iter=1, seed=0)     # compile
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    G.gibbs_fm(d, tu, ti, rank=rank, n_iter=n_sweeps, seed=0)
                    times.append((time.perf_counter() - t0) / n_sweeps)
                line.append(f"{name} {min(times) * 1e3:7.1f} ms")
            print(f"  {label}, rank {rank:2d}: " + "   ".join(line), flush=True)


def main(argv):
    warnings.filterwarnings("ignore")
    if "--row-order" in argv:
        row_order_cost()
        return
    if "--side" in argv:
        side_feature_cost()
        return
    if "--device" in argv:
        print(G._jax()[0].devices())
        compare("ML20M-sized fold", synthetic_fold(dim=1), ranks=(8, 32), jax_sweeps=20, with_myfm=False)
        device_agreement()
        return
    compare("ML-1M-sized fold", synthetic_fold(6_040, 3_700, 1_000_209, dim=1), myfm_sweeps=5)
    if "--skip-ml20m" not in argv:
        compare("ML20M-sized fold", synthetic_fold(dim=1), jax_sweeps=2, myfm_sweeps=1)


if __name__ == "__main__":
    main(sys.argv[1:])
