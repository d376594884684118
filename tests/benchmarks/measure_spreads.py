"""The spread of every learned number a test bounds: the measurements behind the tests' docstrings.

Our rule: a test bound on a learned or noisy number sits >= 3 sd from its measured mean. This
script measures those sds over independent chains/seeds (and, for one chain, a single XLA
thread: an MCMC chain turns any rounding difference into a different chain, so another
machine's rounding moves a number as much as another seed does, never more) and writes them to
tests/benchmarks/spreads.json; RESULTS.md shows the table.

    .venv/bin/python tests/benchmarks/measure_spreads.py                 # every group (~25 min, 2 cores)
    .venv/bin/python tests/benchmarks/measure_spreads.py planted --chains 6
    .venv/bin/python tests/benchmarks/measure_spreads.py movielens_small   # needs ../shared/data

Groups: planted (tests/test_fm_gibbs.py), libfm (tests/test_libfm_reference.py), smoke_fm
(tests/test_predictors.py), correlation (tests/test_fusion_correlation.py), permutation
(tests/test_cold_start.py), movielens_small (tests/test_shared_real_data.py). Each group replaces its own entry in the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' data makers
OUT = HERE / "spreads.json"
SHARED_DATA = HERE.parents[2] / "shared" / "data"


def summary(values) -> dict:
    v = np.asarray(values, np.float64)
    return {"n": int(v.size), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else None,
            "min": float(v.min()), "max": float(v.max()), "values": [round(float(x), 6) for x in v]}


def _ratings(u, i, y, n_users, n_items):
    from vt2lib.rating.predictors import Ratings
    return Ratings(u.astype(np.int32), i.astype(np.int32), y.astype(np.float32), n_users, n_items)


def cv_chain(u, i, y, fold, n_users, n_items, backend, offset, **kwargs):
    """One chain per fold (seed = fold + offset): per-fold RMSE, fold 0's predictions, hyper means."""
    from vt2lib.rating.fm import fm_fit
    rmse, hyper, first = [], [], None
    for k in range(int(fold.max()) + 1):
        tr, te = fold != k, fold == k
        fit = fm_fit(_ratings(u[tr], i[tr], y[tr], n_users, n_items), u[te], i[te], seed=k + offset,
                     backend=backend, **kwargs)
        rmse.append(float(np.sqrt(np.mean((fit.prediction - y[te]) ** 2))))
        hyper.append(fit.hyper_means)
        first = fit.prediction if first is None else first
    means = {h: np.mean([f[h] for f in hyper], axis=0) for h in hyper[0]}
    return np.array(rmse), first, means


# ------------------------------------------------------------------ tests/test_fm_gibbs.py
def planted(chains: int) -> dict:
    """JAX vs myfm on the planted data, per setting: chain-pair differences of the 10-fold median
    and mean RMSE, fold 0's prediction correlation, and the hyper-parameter ratios."""
    import scipy.sparse as sp

    from fm_reference_data import planted as planted_data
    from vt2lib.rating.evaluation import assign_folds
    u, i, y, genres = planted_data()
    fold = assign_folds(len(y), 10, 42)
    out = {}
    for setting, kwargs in {"ids": {}, "grouped": {"grouping": True},
                            "genres": {"item_side": sp.csr_matrix(genres)}}.items():
        runs = {b: [cv_chain(u, i, y, fold, 943, 1682, b, 1000 * c, rank=8, n_iter=100, **kwargs)
                    for c in range(chains)] for b in ("jax", "myfm")}
        pairs = list(zip(runs["jax"], runs["myfm"]))
        rel = {h: [] for h in ("alpha", "lambda_w", "lambda_V")}
        for (ra, pa, ha), (rb, pb, hb) in pairs:
            rel["alpha"].append(abs(float(ha["alpha"]) / float(hb["alpha"]) - 1))
            rel["lambda_w"].append(float(np.max(np.abs(np.asarray(ha["lambda_w"]) / np.asarray(hb["lambda_w"]) - 1))))
            rel["lambda_V"].append(float(np.max(np.abs(np.asarray(ha["lambda_V"]).mean(1)
                                                       / np.asarray(hb["lambda_V"]).mean(1) - 1))))
        out[setting] = {
            "median_rmse": {b: summary([np.median(r[0]) for r in runs[b]]) for b in runs},
            "mean_rmse": {b: summary([r[0].mean() for r in runs[b]]) for b in runs},
            "diff_median_jax_minus_myfm": summary([np.median(a[0]) - np.median(b[0]) for a, b in pairs]),
            "diff_mean_jax_minus_myfm": summary([a[0].mean() - b[0].mean() for a, b in pairs]),
            "fold0_prediction_r": summary([np.corrcoef(a[1], b[1])[0, 1] for a, b in pairs]),
            "fold0_prediction_r_jax_jax": summary([np.corrcoef(runs["jax"][c][1], runs["jax"][c + 1][1])[0, 1]
                                                   for c in range(chains - 1)]),
            "max_relative_difference": {h: summary(v) for h, v in rel.items()},
        }
        print(setting, json.dumps(out[setting]["diff_mean_jax_minus_myfm"]), flush=True)
    return out


# ------------------------------------------------------------------ tests/test_libfm_reference.py
def libfm(chains: int) -> dict:
    """Our `libfm` flavour's 10-fold median RMSE on the planted data, one group and -meta, rank 8
    and the paper's rank 32, over chains (seed = fold + offset)."""
    from fm_reference_data import reference_set
    u, i, y, n_users, n_items, fold = reference_set("planted")
    out = {}
    for grouped, rank, n in ((False, 8, chains), (True, 8, chains), (False, 32, max(2, chains // 2))):
        med = [np.median(cv_chain(u, i, y, fold, n_users, n_items, "jax", 100 * c, rank=rank, n_iter=100,
                                  init_stdev=0.1, grouping=grouped, flavour="libfm")[0]) for c in range(n)]
        out[f"planted grouped={grouped} rank={rank}"] = summary(med)
        print(grouped, rank, summary(med), flush=True)
    return out


# ------------------------------------------------------------------ tests/test_predictors.py
def smoke_fm(chains: int) -> dict:
    """The FM on one smoke fold (rank 4, 60 sweeps) over seeds, beside the user and global mean."""
    import dataclasses
    import tempfile

    from vt2lib.data.raw import load_raw_data
    from vt2lib.profiles import load_profile
    from vt2lib.rating import predictors as P
    from vt2lib.rating.evaluation import CVData, assign_folds
    from vt2lib.rating.fm import fm_predict
    os.environ.setdefault("VT2_OUTPUT_ROOT", tempfile.mkdtemp())
    raw = load_raw_data(dataclasses.replace(load_profile("smoke"), n_workers=1))
    folds = raw.ratings[["userId", "movieId", "rating"]].copy()
    folds["fold"] = assign_folds(len(folds), 3, 42)
    data = CVData.from_folds(folds)
    train, test = data.split(0)
    y = folds.rating.to_numpy()[test]
    rmse = lambda p: float(np.sqrt(np.mean((np.asarray(p.values) - y) ** 2)))
    fm = [rmse(fm_predict(train, data.user[test], data.item[test], rank=4, n_iter=60, seed=s)) for s in range(chains)]
    out = {"fm_rmse": summary(fm), "user_mean_rmse": rmse(P.user_mean(train, data.user[test], data.item[test])),
           "global_mean_rmse": rmse(P.global_mean(train, data.user[test], data.item[test]))}
    print(out, flush=True)
    return out


# ------------------------------------------------------------------ tests/test_fusion_correlation.py
def correlation(chains: int) -> dict:
    """The R^2 tests' numbers over data seeds (their data are drawn; the estimators are exact)."""
    from test_fusion_correlation import planted_embeddings
    from vt2lib.analysis import correlation as C
    cv, ols_noise, cv_noise, ols_177, ridge_177, pca_177, pca_noise, ridge_noise = ([] for _ in range(8))
    for seed in range(chains):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=5000)
        cv.append(C.cv_r2(x, 2 * x + rng.normal(size=5000), 10))
        noise, target = rng.normal(size=(60, 50)), rng.normal(size=60)
        ols_noise.append(C.ols_fit(noise, target)["r2"])
        cv_noise.append(C.cv_r2(noise, target, 10))
        X, yy = planted_embeddings(rng)
        ols_177.append(C.cv_r2(X, yy, 5))
        ridge_177.append(C.cv_r2_ridge(X, yy, 5))
        pca_177.append(C.cv_r2_pca(X, yy, 5))
        noise = rng.normal(size=300)
        pca_noise.append(C.cv_r2_pca(rng.normal(size=(300, 50)), noise, 5))
        ridge_noise.append(C.cv_r2_ridge(rng.normal(size=(300, 50)), noise, 5))
    return {"cv_r2 (true 0.8, 5000 rows)": summary(cv), "ols_r2 on noise (60 x 50)": summary(ols_noise),
            "cv_r2 on noise (60 x 50)": summary(cv_noise), "cv_r2 ols (177 x 140, planted)": summary(ols_177),
            "cv_r2_ridge (177 x 140, planted)": summary(ridge_177), "cv_r2_pca (177 x 140, planted)": summary(pca_177),
            "cv_r2_pca on noise (300 x 50)": summary(pca_noise), "cv_r2_ridge on noise (300 x 50)": summary(ridge_noise)}


# ------------------------------------------------------------------ tests/test_cold_start.py
def permutation(chains: int) -> dict:
    """09's permutation control on planted data over data seeds (each with its own FM chains): what a
    side block buys new movies when it carries planted signal, and when it is noise."""
    from test_cold_start import permutation_gain
    return {f"gain, {'planted' if p else 'noise'} block": summary([permutation_gain(s, p) for s in range(chains)])
            for p in (True, False)}


# ------------------------------------------------------------------ tests/test_shared_real_data.py
def movielens_small(chains: int) -> dict:
    """ml-latest-small, 10 folds: JAX vs myfm (rank 8, 100 sweeps) per chain, and the ml20m
    profile's FM (rank 32, 100 sweeps, libfm flavour as notebook 06 runs it) over chains."""
    from fm_reference_data import movielens
    from vt2lib.profiles import load_profile
    from vt2lib.rating.evaluation import assign_folds
    if not (SHARED_DATA / "ml-latest-small" / "ratings.csv").is_file():
        raise SystemExit(f"{SHARED_DATA / 'ml-latest-small'} is absent")
    u, i, y = movielens(SHARED_DATA / "ml-latest-small")
    n_users, n_items = int(u.max()) + 1, int(i.max()) + 1
    fold = assign_folds(len(y), 10, 42)
    runs = {b: [np.median(cv_chain(u, i, y, fold, n_users, n_items, b, 1000 * c, rank=8, n_iter=100)[0])
                for c in range(chains)] for b in ("jax", "myfm")}
    cfg = load_profile("ml20m")
    paper = [np.median(cv_chain(u, i, y, fold, n_users, n_items, "jax", 1000 * c, rank=cfg.fm_rank,
                                n_iter=cfg.fm_iters, init_stdev=cfg.fm_init_stdev, flavour=cfg.fm_flavour)[0])
             for c in range(max(2, chains // 2))]
    return {"median_rmse rank 8": {b: summary(v) for b, v in runs.items()},
            "diff_median_jax_minus_myfm rank 8": summary(np.subtract(runs["jax"], runs["myfm"])),
            f"median_rmse ml20m FM (rank {cfg.fm_rank}, {cfg.fm_iters} sweeps)": summary(paper)}


# ------------------------------------------------------------------ one chain on one XLA thread
def one_thread() -> dict:
    """The planted ids setting's first JAX chain again with XLA on one thread (a subprocess:
    XLA reads its flags at start-up)."""
    code = ("import sys, json, numpy as np; sys.path.insert(0, %r); import measure_spreads as m;"
            "from fm_reference_data import planted; from vt2lib.rating.evaluation import assign_folds;"
            "u, i, y, g = planted(); f = assign_folds(len(y), 10, 42);"
            "print(json.dumps(float(np.median(m.cv_chain(u, i, y, f, 943, 1682, 'jax', 0, rank=8, n_iter=100)[0]))))"
            % str(HERE))
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
               PYTHONPATH=f"{HERE}:{HERE.parent}")
    value = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                      text=True).stdout.strip().splitlines()[-1])
    return {"planted ids jax median_rmse chain 0, one XLA thread": value}


GROUPS = {"planted": planted, "libfm": libfm, "smoke_fm": smoke_fm, "correlation": correlation,
          "permutation": permutation, "movielens_small": movielens_small}
DEFAULT_CHAINS = {"planted": 6, "libfm": 6, "smoke_fm": 10, "correlation": 50, "permutation": 12,
                  "movielens_small": 4}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("groups", nargs="*", default=[g for g in GROUPS if g != "movielens_small"]
                    + (["movielens_small"] if SHARED_DATA.is_dir() else []), choices=[*GROUPS, "one_thread"])
    ap.add_argument("--chains", type=int, help="chains/seeds per group (default: per group)")
    args = ap.parse_args(argv)
    record = json.loads(OUT.read_text()) if OUT.is_file() else {}
    for g in args.groups:
        t = time.perf_counter()
        record[g] = one_thread() if g == "one_thread" else GROUPS[g](args.chains or DEFAULT_CHAINS[g])
        record[g]["_seconds"] = round(time.perf_counter() - t, 1)
        record[g]["_measured"] = time.strftime("%Y-%m-%d")
        OUT.write_text(json.dumps(record, indent=1) + "\n")
        print(f"{g}: {record[g]['_seconds']} s", flush=True)


if __name__ == "__main__":
    main()
