"""Does sharing one fit among 09's few-ratings settings change a movie's predictions? Each setting's fold RMSE
on the same test rows, from the shared fit (cold_shared_<method>) minus from that setting's own fit
(cold<n>_<method>): the median over the folds, per method and setting. A shared fit differs from its own only
in how many ratings the *other* new movies of the fold keep; read an FM's difference against its chain-to-chain
spread (09's `extra_fm_chain_spread`).

After a run of a profile and of its 09 with the shared fit:

    ./run_all.sh demo && ./run_all.sh demo --set cold_shared_fit=true --only 09
    .venv/bin/python tests/benchmarks/cold_shared_fit_same_movies.py demo

Numbers: tests/benchmarks/RESULTS.md ("09's few-ratings settings share a fit").
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from vt2lib.profiles import load_profile
from vt2lib.rating.cold_settings import movie_settings
from vt2lib.rating.cold_start import item_disjoint_cv
from vt2lib.rating.evaluation import load_predictions, table1_cv

METHODS = ("fm_ids", "fm_genres", "fm_genres_trailer", "fm_genres_frozen", "user_mean", "content_metadata",
           "content_emb256_s10_leakfree")
KEY = ["fold", "userId", "movieId"]


def fold_rmse(preds: pd.DataFrame) -> pd.Series:
    err = (preds.prediction.to_numpy(np.float64) - preds.rating.to_numpy(np.float64)) ** 2
    return np.sqrt(pd.Series(err).groupby(preds.fold.to_numpy()).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profile", nargs="?", default="demo")
    args = ap.parse_args(argv)
    own_cfg, shared_cfg = load_profile(args.profile), load_profile(args.profile, {"cold_shared_fit": True})
    cold = item_disjoint_cv(own_cfg, table1_cv(own_cfg))
    settings = list(own_cfg.cold_n_ratings)
    setting_of = pd.Series(movie_settings(cold, settings, own_cfg.seed), index=cold.movie_ids)
    rows = {}
    for name in METHODS:
        shared = load_predictions(shared_cfg, f"cold_shared_{name}")
        for n in settings:
            mine = shared[setting_of.reindex(shared.movieId).to_numpy() == n].sort_values(KEY)
            own = load_predictions(own_cfg, f"cold{n}_{name}").merge(mine[KEY], on=KEY).sort_values(KEY)
            assert len(own) == len(mine), (name, n)  # the same test rows in both designs
            rows.setdefault(name, {})[f"{n} ratings"] = float((fold_rmse(mine) - fold_rmse(own)).median())
    print(f"Profile {args.profile}: fold RMSE on the same rows, shared fit minus own fit (median over folds)")
    print(pd.DataFrame(rows).T.map(lambda v: f"{v:+.4f}").to_string())


if __name__ == "__main__":
    main()
