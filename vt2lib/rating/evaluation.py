"""Cross-validation shared by notebooks 05-10: folds, per-fold predictions, metrics, paired tests.

    folds = ensure_folds(cfg, ratings)                 # fold id per rating: the store's `folds` artifact
    run_cv(cfg, data, "user_mean", fn, key)            # fn(train, test_u, test_i, fold) -> Prediction
    preds = load_predictions(cfg, "user_mean")         # userId, movieId, rating, fold, prediction
    per_fold = fold_metrics(preds)                     # rmse/mae per fold
    summary_row(per_fold)                              # min/max/mean/median as in Table 1

Predictions are the store's artifact predictions/<method>, keyed by the folds and the method's own
key: a finished fold is saved (parquet; the fallback counts beside it) and skipped by a rerun.

>>> preds = pd.DataFrame({"fold": [0, 0, 1], "rating": [4.0, 2.0, 3.0], "prediction": [3.0, 2.0, 3.5]})
>>> fold_metrics(preds).round(4).to_dict("list")
{'rmse': [0.7071, 0.5], 'mae': [0.5, 0.5]}
>>> assign_folds(6, 3, seed=42).tolist()          # KFold(3, shuffle=True, random_state=42)
[0, 0, 1, 2, 2, 1]
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.rating.fold_runner import FALLBACKS_FILE, predict_folds
from vt2lib.rating.predictors import Prediction, Ratings
from vt2lib.store import Store, digest


def assign_folds(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold id per row: KFold(n_folds, shuffle=True, random_state=seed), as the authors' content-based
    script (their libFM splits used an unseeded shuffle; we score every method on these folds)."""
    from sklearn.model_selection import KFold  # imported here: scikit-learn is slow to import
    fold = np.empty(n, np.int8)
    for k, (_, test) in enumerate(KFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(n))):
        fold[test] = k
    return fold


def ensure_folds(cfg: Profile, ratings: pd.DataFrame) -> pd.DataFrame:
    """The CV table (userId, movieId, rating, fold): the store's `folds` artifact, made once
    per evaluation ratings, n_folds and fold_seed."""
    store = Store(cfg)
    if not store.current("folds"):
        folds = ratings[["userId", "movieId", "rating"]].reset_index(drop=True).copy()
        folds["fold"] = assign_folds(len(folds), cfg.n_folds, cfg.fold_seed)
        store.save_tables("folds", {"folds": folds})
    return store.load_table("folds", "folds")


@dataclass
class CVData:
    table: pd.DataFrame       # userId, movieId, rating, fold
    user: np.ndarray          # dense user index per row
    item: np.ndarray          # dense item index per row
    movie_ids: np.ndarray     # dense item index -> movieId
    n_users: int
    n_items: int

    @classmethod
    def from_folds(cls, folds: pd.DataFrame) -> "CVData":
        user, _ = pd.factorize(folds.userId, sort=True)
        item, movie_ids = pd.factorize(folds.movieId, sort=True)
        return cls(folds, user.astype(np.int32), item.astype(np.int32), np.asarray(movie_ids),
                   int(user.max()) + 1, int(item.max()) + 1)

    @property
    def n_folds(self) -> int:
        return int(self.table.fold.max()) + 1

    def inner_split(self, k: int, share: float, seed: int) -> tuple[Ratings, np.ndarray]:
        """Fold k's training part split again: (inner training ratings, inner validation rows).

        For choosing hyper-parameters such as the fusion weight without touching fold k's test part.
        """
        train_rows = np.flatnonzero(self.table.fold.to_numpy() != k)
        rng = np.random.default_rng([seed, k])
        val = np.zeros(len(train_rows), bool)
        val[rng.choice(len(train_rows), int(round(share * len(train_rows))), replace=False)] = True
        return self.ratings(train_rows[~val]), train_rows[val]

    def split(self, k: int) -> tuple[Ratings, np.ndarray]:
        """(training ratings of fold k, row indices of its test part)."""
        train = self.table.fold.to_numpy() != k
        return self.ratings(train), np.flatnonzero(~train)

    def ratings(self, rows) -> Ratings:
        """The ratings at `rows` (indices or a boolean mask) in the shared user/item index."""
        r = self.table.rating.to_numpy(np.float32)
        return Ratings(self.user[rows], self.item[rows], r[rows], self.n_users, self.n_items)


def content_method(data: CVData, ids: np.ndarray, vectors: np.ndarray, similarity: str, top_k: int | None):
    """Eq. 1 with item vectors, as a run_cv predictor, and the cache key of its inputs."""
    from vt2lib.rating.predictors import content_based, similarity_matrix, vector_rows
    rows, usable = vector_rows(data.movie_ids, ids, vectors)
    sim = similarity_matrix(usable, similarity)
    fn = lambda tr, u, i, k: content_based(tr, u, i, sim, rows, top_k)  # noqa: E731
    return fn, digest(ids, vectors, similarity, top_k)


def run_cv(cfg: Profile, data: CVData, method: str,
           fn: Callable[[Ratings, np.ndarray, np.ndarray, int], Prediction], key: str = "",
           progress: bool = True, split: Callable | None = None, workers: int = 1,
           max_folds: int | None = None) -> pd.DataFrame:
    """Predict every fold's test part with `fn`, caching each finished fold.

    The cache is valid for one CV table and one `key` (a digest of the method's inputs, e.g.
    its item vectors and parameters); if either changed, the method's folds are recomputed.
    `split(k) -> (train, test rows)` defaults to the CV folds (CVData.split). `workers` > 1
    predicts the folds in that many forked processes: only for a single-threaded `fn` that
    is safe to fork (myfm); a fold's numbers depend on the fold alone, not on the process.
    `max_folds` (and cfg.evaluate_folds, a rehearsal) predict the first folds only; a complete
    run of every fold is reused for them.
    """
    split = split or data.split
    n_folds = min(data.n_folds, cfg.evaluate_folds or data.n_folds, max_folds or data.n_folds)
    # the CV table is in the key as well as the folds artifact: cold-start tables re-assign folds
    inputs = (data.user, data.item, data.table.fold, data.table.rating, key)
    if n_folds < data.n_folds and Store(cfg).current(f"predictions/{method}", digest(*inputs)):
        preds = load_predictions(cfg, method, extra=digest(*inputs))  # another profile's full run, maybe
        return preds[preds.fold < n_folds].reset_index(drop=True)
    fingerprint = digest(*inputs, *([n_folds] if n_folds < data.n_folds else []))
    with Store(cfg).produce(f"predictions/{method}", extra=fingerprint) as art:
        if not art.reused:
            todo = [k for k in range(n_folds) if not (art.path / f"fold{k}.parquet").is_file()]
            predict_folds(art.path, data, method, fn, split, todo, progress, workers)
    return load_predictions(cfg, method)


def load_predictions(cfg: Profile, method: str, extra: str | None = None) -> pd.DataFrame:
    """A method's stored predictions (DataError if missing or made on other folds); `extra`: run_cv's key."""
    files = sorted(Store(cfg).require(f"predictions/{method}", extra).glob("fold*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def load_fallbacks(cfg: Profile, method: str) -> pd.DataFrame:
    """How often each fallback fired, one row per stored fold (its file named by _predict_fold, not parsed)."""
    folder = Store(cfg).require(f"predictions/{method}")
    folds = [k for k in range(cfg.n_folds) if (folder / FALLBACKS_FILE.format(k)).is_file()]
    return pd.DataFrame([json.loads((folder / FALLBACKS_FILE.format(k)).read_text()) for k in folds],
                        index=pd.Index(folds, name="fold"))


def fold_metrics(preds: pd.DataFrame) -> pd.DataFrame:
    err = preds.prediction.to_numpy(np.float64) - preds.rating.to_numpy(np.float64)
    g = pd.DataFrame({"fold": preds.fold.to_numpy(), "se": err ** 2, "ae": np.abs(err)}).groupby("fold")
    return pd.DataFrame({"rmse": np.sqrt(g.se.mean()), "mae": g.ae.mean()})


def summary_row(per_fold: pd.DataFrame, n_folds: int | None = None) -> dict[str, float]:
    """Table 1's columns: RMSE and MAE min/max/mean/median over folds, and (not in the paper) the
    95% interval of the mean, `mean_interval` (NaN below two folds)."""
    out = {}
    for m in ("rmse", "mae"):
        v = per_fold[m]
        low, high = mean_interval(v.to_numpy(np.float64), n_folds)
        out.update({f"{m}_min": v.min(), f"{m}_max": v.max(), f"{m}_mean": v.mean(), f"{m}_median": v.median(),
                    f"{m}_ci95_low": low, f"{m}_ci95_high": high})
    return out


def mean_interval(values, n_folds: int | None = None, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of J per-fold values. Given `n_folds` (the folds the data
    was split into), its variance is Nadeau and Bengio's corrected (1/J + n_test/n_train) var, as
    in `corrected_resampled_ttest`: CV folds share training data, and var/J alone is too narrow.

    >>> [round(x, 4) for x in mean_interval([0.80, 0.82, 0.81, 0.79, 0.83], n_folds=5)]  # n_test/n_train 1/4
    [0.7806, 0.8394]
    >>> [round(x, 4) for x in mean_interval([0.80, 0.82, 0.81, 0.79, 0.83], n_folds=None)]  # plain t
    [0.7904, 0.8296]
    """
    from scipy import stats
    v = np.asarray(values, np.float64)
    J = len(v)
    if J < 2:
        return np.nan, np.nan
    ratio = 1 / (n_folds - 1) if n_folds else 0.0
    half = stats.t.ppf(0.5 + level / 2, J - 1) * np.sqrt((1 / J + ratio) * v.var(ddof=1))
    return float(v.mean() - half), float(v.mean() + half)


def corrected_resampled_ttest(d, test_train_ratio: float) -> tuple[float, float]:
    """Nadeau & Bengio (2003): (t, two-sided p) for per-fold differences `d` of J resamples.

    CV folds share most of their training data, so their differences are positively
    correlated and the plain paired t-test's variance var(d)/J is too small; the corrected
    variance is (1/J + n_test/n_train) var(d), with J - 1 degrees of freedom. Fewer than two
    folds give no variance and so no test: (NaN, NaN).
    """
    from scipy import stats
    d = np.asarray(d, np.float64)
    J = len(d)
    if J < 2:
        return np.nan, np.nan
    var = d.var(ddof=1)
    if var == 0:
        return (0.0, 1.0) if not np.any(d) else (float(np.sign(d.mean()) * np.inf), 0.0)
    t = d.mean() / np.sqrt((1 / J + test_train_ratio) * var)
    return float(t), float(2 * stats.t.sf(abs(t), J - 1))


def paired_test(a: pd.Series, b: pd.Series, n_folds: int) -> dict:
    """Paired comparison across folds: mean difference, Wilcoxon signed-rank and paired t-test p,
    and the Nadeau-Bengio corrected resampled t-test.

    Why the corrected test (the notebooks' paired-test tables point here): the folds share most
    of their training data, so their RMSEs are correlated, and the plain tests' p-values are too
    small. The Nadeau-Bengio test inflates the variance of the mean difference by n_test/n_train
    to account for that: read `corrected_p`. With few folds the Wilcoxon p cannot go below
    2 / 2^folds.

    `n_folds`: how many folds the data was split into. Each fold trains on (n_folds - 1) parts
    and tests on one, so n_test/n_train = 1/(n_folds - 1) however many of the folds were
    evaluated (`evaluate_folds`: scale predicts 2 of 10, ratio 1/9). With fewer than two
    evaluated folds there is no test: every p is NaN and `note` says why.

    `a` and `b` are paired by their index (the fold), whatever their order; both must hold the
    same folds. Where every fold differs by the same non-zero amount there is no variance for a
    t-test: both t-tests' p are NaN, and `note` says so (the Wilcoxon p stands)."""
    from scipy import stats
    if set(a.index) != set(b.index):
        raise ValueError(f"paired_test pairs folds: {sorted(a.index)} against {sorted(b.index)}")
    a = a.sort_index()
    b = b.reindex(a.index)
    d = (a - b).to_numpy(np.float64)
    out = {"mean_diff": float(d.mean()) if len(d) else np.nan, "n_folds": int(len(d))}
    if len(d) < 2:
        nan = {k: np.nan for k in ("wilcoxon_p", "ttest_p", "corrected_t", "corrected_p")}
        return out | nan | {"note": f"{len(d)} evaluated fold(s): a paired test needs at least 2"}
    out["wilcoxon_p"] = float(stats.wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
    out["wilcoxon_min_p"] = 2 / 2 ** len(d)  # the smallest two-sided p J folds allow (5 folds: 0.0625)
    if np.all(d == d[0]) and d[0] != 0:
        return out | {"ttest_p": np.nan, "corrected_t": np.nan, "corrected_p": np.nan,
                      "note": f"every fold differs by {d[0]:+.4g}: no variance, so no t-test"}
    out["ttest_p"] = float(stats.ttest_1samp(d, 0.0).pvalue) if np.std(d) > 0 else 1.0
    out["corrected_t"], out["corrected_p"] = corrected_resampled_ttest(d, 1 / (n_folds - 1))
    return out


def paired_table(rmse: dict, pairs: dict[str, tuple], n_folds: int, stats: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per named pair (a, b) of keys of `rmse` (per-fold Series): paired_test of rmse[a]
    against rmse[b], all of its statistics or `stats` only."""
    rows = {}
    for name, (a, b) in pairs.items():
        t = paired_test(rmse[a], rmse[b], n_folds)
        rows[name] = t if stats is None else {s: t[s] for s in stats}
    return pd.DataFrame(rows).T


def table1_cv(cfg: Profile) -> CVData:
    """Table 1's CV data: the evaluation ratings with their folds (made once, by the first notebook
    that asks; 05, 06, 07, 09 and 10 share them)."""
    from vt2lib.data.cleaning import load_evaluation_ratings
    return CVData.from_folds(ensure_folds(cfg, load_evaluation_ratings(cfg)))
