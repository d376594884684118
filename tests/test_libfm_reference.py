"""The JAX sampler's `libfm` flavour gives libFM's own 10-fold median RMSE.

libFM (srendle/libfm 1.4.4, built from source) was run once with the paper's command line on
the same ratings and folds (tests/fm_reference_data.py); its numbers and exact command lines
are recorded in tests/data/libfm_reference.json by tests/benchmarks/record_libfm_reference.py,
because CI cannot build libFM. RESULTS.md shows the comparison.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from vt2lib.rating.fm import fm_fit
from vt2lib.rating.predictors import Ratings

from conftest import SHARED_DATA
from fm_reference_data import reference_set

RECORDED = json.loads((Path(__file__).parent / "data" / "libfm_reference.json").read_text())
# seed offsets of our chains (fold k runs with seed k + offset): three where libFM's own chains scatter
# (planted, sd up to 0.003), one where they agree to 0.001 (ml-latest-small)
OUR_CHAINS = {"planted": (0, 100, 200), "ml-latest-small": (0,)}


def libfm_runs(name: str, grouped: bool, rank: int) -> np.ndarray:
    return np.array([r["median_rmse"] for r in RECORDED["runs"]
                     if (r["set"], r["grouped"], r["rank"]) == (name, grouped, rank)])


def our_median_rmse(data, grouped: bool, rank: int, offset: int) -> float:
    u, i, y, n_users, n_items, fold = data
    rmse = []
    for k in range(int(fold.max()) + 1):
        tr, te = fold != k, fold == k
        fit = fm_fit(Ratings(u[tr], i[tr], y[tr], n_users, n_items), u[te], i[te], rank=rank, n_iter=100,
                     init_stdev=0.1, seed=k + offset, grouping=grouped, backend="jax", flavour="libfm")
        rmse.append(float(np.sqrt(np.mean((fit.prediction - y[te]) ** 2))))
    return float(np.median(rmse))


def compare(name: str, grouped: bool, rank: int = 8, chains: tuple[int, ...] | None = None) -> None:
    """Mean over chains of the 10-fold median RMSE, ours against libFM's 5 recorded chains.

    The bound is 0.003, or 3 sd of the difference of the two means where libFM's own chains
    scatter more: with one prior group for users and items (no -meta), libFM's five medians on
    the planted data were 0.7126 / 0.7159 / 0.7090 / 0.7100 / 0.7095 (sd 0.0029), so one chain
    cannot be held to 0.003 there (bound 0.0071 with our three chains). The chain-to-chain sd
    is taken from libFM's recorded chains; ours scatter alike (0.7081 / 0.7113 / 0.7056). On
    ml-latest-small libFM's chains agree to sd 0.0001 (one group) and 0.0009 (-meta), and one
    chain of ours is held to 0.003: measured 0.8630 vs 0.8630, and 0.8352 vs 0.8351."""
    theirs = libfm_runs(name, grouped, rank)
    assert len(theirs) >= 3, f"no recorded libFM runs for {name}, grouped={grouped}, rank {rank}"
    data = reference_set(name, SHARED_DATA)
    ours = np.array([our_median_rmse(data, grouped, rank, offset) for offset in chains or OUR_CHAINS[name]])
    bound = max(0.003, 3 * theirs.std(ddof=1) * np.sqrt(1 / len(theirs) + 1 / len(ours)))
    print(f"{name} grouped={grouped} rank {rank}: ours {ours.round(4)} mean {ours.mean():.4f}; "
          f"libFM {theirs.round(4)} mean {theirs.mean():.4f}; bound {bound:.4f}")
    assert abs(ours.mean() - theirs.mean()) <= bound, (ours, theirs, bound)


@pytest.mark.parametrize("grouped", [False, True], ids=["one prior group", "meta: users, items"])
def test_libfm_flavour_matches_libfm_on_planted_data(grouped):
    compare("planted", grouped)


def test_libfm_flavour_matches_libfm_at_the_papers_rank_32():
    """The paper's dimension 32 (libFM's three recorded chains on the planted data, one group:
    0.7042 / 0.7035 / 0.7044, sd 0.0005): one chain of ours within 0.003."""
    compare("planted", False, rank=32, chains=(0,))


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED_DATA / "ml-latest-small" / "ratings.csv").is_file(), reason="../shared absent")
@pytest.mark.parametrize("grouped", [False, True], ids=["one prior group", "meta: users, items"])
def test_libfm_flavour_matches_libfm_on_ml_latest_small(grouped):
    compare("ml-latest-small", grouped)


def test_the_record_names_its_command_lines():
    for run in RECORDED["runs"]:
        assert run["command"].startswith("libFM -task r -method mcmc -dim '1,1,") and "-iter 100" in run["command"]
        assert ("-meta meta.txt" in run["command"]) == run["grouped"] and len(run["fold_rmse"]) == 10
