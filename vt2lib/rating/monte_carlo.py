"""Monte Carlo error and the permutation control of notebook 09's FMs with side features.

A new movie's FM prediction rests on side weights that a Gibbs chain mixes slowly: each such FM
averages `fm_side_chains` chains (vt2lib.rating.fm.fm_method) and keeps every chain's predictions,
whose spread is measured here. The control deals the trailer rows to other movies (seeded): what
the trailers buy is its RMSE minus the real rows'.

    chain_rmse = {key: chain_fold_rmse(preds) for key, preds in stored.items()}   # each chain's fold RMSE
    spread = chain_spread(chain_rmse, cfg.fm_side_chains)                       # extra_fm_chain_spread
    gain = trailer_permutation_gain(rmse, settings, cfg.n_folds)                # extra_trailer_permutation_control
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.rating.fold_runner import CHAIN_COLUMN


def chain_fold_rmse(preds: pd.DataFrame) -> pd.DataFrame:
    """Each chain's RMSE per fold (rows: folds, columns: chains) of predictions averaged over chains;
    empty where only one chain ran. Its spread across a row is the Monte Carlo error of one chain."""
    cols = [c for c in preds.columns if c.startswith(CHAIN_COLUMN) and c[len(CHAIN_COLUMN):].isdigit()]
    err = preds[cols].to_numpy(np.float64) - preds.rating.to_numpy(np.float64)[:, None]
    se = pd.DataFrame(err ** 2, columns=cols).assign(fold=preds.fold.to_numpy())
    return np.sqrt(se.groupby("fold").mean())


def shuffled_rows(ids: np.ndarray, vectors: np.ndarray, seed: int, among: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The vectors of the movies in `among` (default: all) dealt among them in a seeded random order:
    a block with the same rows and statistics that has lost its link to the movies.

    >>> shuffled_rows(np.array([7, 8, 9]), np.eye(3), seed=0)[1].argmax(1).tolist()  # 8 has 9's row, 9 has 8's
    [0, 2, 1]
    """
    ids, out = np.asarray(ids), np.array(vectors, copy=True)
    mine = np.flatnonzero(np.ones(len(ids), bool) if among is None else np.isin(ids, among))
    out[mine] = out[mine[np.random.default_rng([seed, 9]).permutation(len(mine))]]
    return ids, out


def trailer_permutation_gain(rmse: dict, settings, n_folds: int, fm: str = "fm_genres_trailer",
                             control: str = "fm_genres_trailer_shuffled") -> pd.DataFrame:
    """What trailers buy the FM, per setting: the control's RMSE minus the real rows' (positive: the
    trailers help), mean over folds with its 95% interval (corrected for overlapping training sets)
    and the share of folds where it is positive. `rmse`: {(setting, method): per-fold RMSE}; the
    default names are cold_start.side_fm_name's of genres+trailer and SHUFFLED (tests/test_cold_start.py)."""
    from vt2lib.rating.evaluation import mean_interval
    rows = {}
    if (settings[0], control) not in rmse:  # no trailers: nothing to shuffle
        return pd.DataFrame(columns=["gain_mean", "ci_low", "ci_high", "folds_positive", "folds"]).rename_axis("setting")
    for s in settings:
        gain = (rmse[(s, control)] - rmse[(s, fm)]).dropna()
        low, high = mean_interval(gain, n_folds)
        rows[s] = {"gain_mean": gain.mean(), "ci_low": low, "ci_high": high, "folds_positive": (gain > 0).mean(),
                   "folds": len(gain)}
    return pd.DataFrame(rows).T.rename_axis("setting")


def chain_spread(chain_rmse: dict, chains: int) -> pd.DataFrame:
    """The Monte Carlo error of the FMs averaged over chains, per (setting, method): the sd across
    chains of one chain's fold RMSE (mean and largest over folds), and ~ that / sqrt(chains), the sd
    of the averaged prediction's RMSE. `chain_rmse`: {(setting, method): chain_fold_rmse(its predictions)}."""
    rows = {}
    for key, per_chain in chain_rmse.items():
        if per_chain.shape[1] >= 2:
            sd = per_chain.std(axis=1, ddof=1)
            rows[key] = {"chains": per_chain.shape[1], "one_chain_sd_mean": sd.mean(), "one_chain_sd_max": sd.max(),
                         "averaged_sd_approx": sd.mean() / np.sqrt(per_chain.shape[1])}
    out = pd.DataFrame.from_dict(rows, orient="index")
    if out.empty:
        return pd.DataFrame({"note": [f"{chains} chain per FM: no spread to measure (fm_side_chains >= 2)"]})
    out.index = pd.MultiIndex.from_tuples([(str(s), m) for s, m in out.index], names=["setting", "method"])
    return out


def control_numbers(spread: pd.DataFrame, gain: pd.DataFrame) -> dict[str, float | None]:
    """09's recorded Monte Carlo error and permutation control (None where the profile has neither)."""
    out: dict[str, float | None] = {"fm_chain_sd_cold": None}
    if "one_chain_sd_mean" in spread:
        cold = spread.xs("0", level="setting")
        out["fm_chain_sd_cold"] = float(cold.one_chain_sd_mean.max())
    for setting, label in ((0, "cold"), ("warm", "warm")):
        if setting in gain.index:  # no control without trailers: its numbers are not declared then
            for stat in ("gain_mean", "ci_low", "ci_high"):
                metric = f"trailer_gain_{label}" + ("" if stat == "gain_mean" else f"_{stat}")
                out[metric] = float(gain.loc[setting, stat])
    return out
