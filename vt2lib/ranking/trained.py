"""Baselines trained for top-N ranking (issue 33 §3), their hyper-parameters chosen on an inner split.

Every other ranked method is trained for RMSE. These two learn which movies a user picks:
- EASE (Steck 2019): item-item weights B = I - P / diag(P), P = (X'X + l2 I)^-1, closed form; a user's
  scores are their row of X times B (ML20M's ~13.6k movies: one 13.6k x 13.6k inverse per fit);
- ALS for implicit feedback (Hu, Koren & Volinsky 2008), the `implicit` package's CPU solver.

X is binary: a user's training ratings >= `positives` (a hyper-parameter where the profile's
`ranking_positives` has several: every rating, or the liked ones only). Each fold chooses its
hyper-parameters on an inner split of its own training ratings (`inner_split`: a seeded tenth of them)
by Recall@10 there, then refits on all of its training ratings: the test folds are never looked at.

    score_rows, chosen = fit_ease(cfg, train, seed)      # chosen.params, chosen.validation
    score_rows, chosen = fit_als(cfg, train, seed)

>>> train = Ratings(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 1, 2]), np.ones(5, np.float32), 3, 3)
>>> B = ease_weights(interactions(train, 0.5), l2=0.1)
>>> bool(B[0, 1] > 0.8), abs(float(B[0, 2])), float(np.diag(B).max())   # 0 and 1 always together; 2 alone
(True, 0.0, 0.0)
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from vt2lib.config import Profile
from vt2lib.rating.predictors import Ratings
from vt2lib.ranking.metrics import evaluate_ranking, ranked_users, summarise

INNER_SHARE = 0.1            # of the fold's training ratings (or movies) held out to choose hyper-parameters
VALIDATION_METRIC, TIE_BREAK = "recall@10", "ndcg@10"
ScoreRows = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Choice:
    """One fold's hyper-parameters and their Recall@10 on its inner split (the best of `tried`)."""
    params: dict
    validation: float
    tried: int

    def describe(self) -> str:
        """positives=4, l2=100 -> 'ratings >= 4, l2=100' (positives 0.5: every rating is an interaction)."""
        def one(k, v):
            if k == "positives":
                return "every rating" if v <= 0.5 else f"ratings >= {v:g}"
            return f"{k}={v:g}"
        return ", ".join(one(k, v) for k, v in self.params.items())


def interactions(train: Ratings, positives: float) -> sp.csr_matrix:
    """Binary users x movies: 1 where the user rated the movie >= positives in training."""
    keep = train.rating >= positives
    X = sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (train.user[keep], train.item[keep])),
                      shape=(train.n_users, train.n_items))
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


def gram(X: sp.csr_matrix) -> np.ndarray:
    """X'X, dense float64 (movies x movies): one sparse product, on one thread."""
    return (X.T @ X).toarray().astype(np.float64)


def ease_weights(X: sp.csr_matrix, l2: float, G: np.ndarray | None = None) -> np.ndarray:
    """EASE's B (movies x movies, zero diagonal): B = I - P diag(1/diag(P)), P = (X'X + l2 I)^-1
    (G: X'X when it is at hand, shared by the l2 values of one X)."""
    G = gram(X) if G is None else G.copy()
    G[np.diag_indices_from(G)] += l2
    B = np.linalg.inv(G)
    B /= -np.diag(B).copy()  # column j of P divided by -P_jj, in place (1.5 GB at ML20M's size)
    B[np.diag_indices_from(B)] = 0.0
    return B.astype(np.float32)


def ease_rows(X: sp.csr_matrix, B: np.ndarray) -> ScoreRows:
    return lambda users: np.asarray(X[users] @ B, np.float32)


def als_factors(X: sp.csr_matrix, factors: int, l2: float, alpha: float, iterations: int, seed: int):
    """implicit's ALS on X: (user factors, item factors), float32. implicit's confidence of a rated movie is
    alpha x and its solver weighs it by that minus 1, so on binary X alpha = 1 weighs rated and unrated
    movies alike (Hu et al.'s 1 + a x with a = 0) and alpha = 10 is their a = 9. BLAS runs on one thread
    inside (implicit's advice: its own threads solve users and items)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, regularization=l2, alpha=alpha, iterations=iterations,
                                        random_state=seed)
        model.fit(X, show_progress=False)
    return np.asarray(model.user_factors, np.float32), np.asarray(model.item_factors, np.float32)


def factor_rows(user_factors: np.ndarray, item_factors: np.ndarray) -> ScoreRows:
    return lambda users: user_factors[users] @ item_factors.T


def inner_split(train: Ratings, seed: int, item_disjoint: bool = False):
    """(inner training Ratings, held-out u, i, r, held-out movie mask or None): a seeded INNER_SHARE of
    the fold's training ratings, or of its rated movies with all their ratings (item_disjoint, for the
    content maps: the held-out movies are new to the inner model, as the fold's test movies are to the fold's)."""
    rng = np.random.default_rng(seed)
    if item_disjoint:
        rated = np.unique(train.item)
        held_movies = np.zeros(train.n_items, bool)
        held_movies[rng.choice(rated, max(1, round(INNER_SHARE * len(rated))), replace=False)] = True
        held = held_movies[train.item]
    else:
        held_movies, held = None, rng.random(len(train.user)) < INNER_SHARE
    inner = Ratings(train.user[~held], train.item[~held], train.rating[~held], train.n_users, train.n_items)
    return inner, train.user[held], train.item[held], train.rating[held], held_movies


def validation_score(score_rows: ScoreRows, inner: Ratings, held, n_users: int | None, seed: int
                     ) -> tuple[float, float]:
    """(mean Recall@10, mean NDCG@10) on the held-out part (among its movies where they are held-out
    movies); NDCG breaks Recall's ties (a few held-out movies are all in every top 10)."""
    u, i, r, among = held
    users = ranked_users(u, r, n_users, seed)
    if not len(users):
        return float("nan"), float("nan")
    m = summarise(evaluate_ranking(score_rows, inner, u, i, r, users, ks=(10,), among=among))
    return m[VALIDATION_METRIC], m[TIE_BREAK]


def best_index(scores: list[tuple[float, float]]) -> int:
    """The first of the best (Recall@10, then NDCG@10) validation scores; NaN counts as the worst."""
    key = [tuple(-np.inf if np.isnan(v) else v for v in s) for s in scores]
    return max(range(len(key)), key=lambda k: (key[k], -k))


def choose(grid: list[dict], fit: Callable[[Ratings, dict], ScoreRows], train: Ratings, cfg: Profile,
           seed: int) -> Choice:
    """The grid point whose model, fitted on the inner split's training part, ranks its held-out part best
    (Recall@10, then NDCG@10; the first of equals in the grid's order)."""
    inner, *held = inner_split(train, seed)
    scores = [validation_score(fit(inner, p), inner, held, cfg.ranking_users, seed) for p in grid]
    best = best_index(scores)
    return Choice(grid[best], float(scores[best][0]), len(grid))


def grid(**values) -> list[dict]:
    """Every combination of the named values, in order: grid(a=[1, 2], b=[3]) -> [{a: 1, b: 3}, {a: 2, b: 3}]."""
    return [dict(zip(values, combo)) for combo in itertools.product(*values.values())]


def ease_fitter():
    """A function (Ratings, grid point) -> score_rows: EASE, each X and its Gram matrix made once for every
    l2 of the grid (the Gram matrix is a sparse product on one thread; the inverse uses every core)."""
    made: dict = {}

    def fit(train: Ratings, p: dict) -> ScoreRows:
        key = (id(train), p["positives"])
        if key not in made:
            made.clear()  # one X at a time: ML20M's Gram matrix is 1.5 GB
            X = interactions(train, p["positives"])
            made[key] = train, X, gram(X)  # train kept: its id stays its own while it is here
        _, X, G = made[key]
        return ease_rows(X, ease_weights(X, p["l2"], G))
    return fit


def fit_ease(cfg: Profile, train: Ratings, seed: int) -> tuple[ScoreRows, Choice]:
    fit = ease_fitter()
    chosen = choose(grid(positives=cfg.ranking_positives, l2=cfg.ease_l2), fit, train, cfg, seed)
    return fit(train, chosen.params), chosen


def als_fitter(cfg: Profile, seed: int):
    """A function (Ratings, grid point) -> (user factors, item factors): ALS at the profile's width and sweeps."""
    def fit(train: Ratings, p: dict):
        return als_factors(interactions(train, p["positives"]), cfg.als_factors, p["l2"], p["alpha"],
                           cfg.als_iterations, seed)
    return fit


def als_grid(cfg: Profile) -> list[dict]:
    return grid(positives=cfg.ranking_positives, l2=cfg.als_l2, alpha=cfg.als_alpha)


def fit_als(cfg: Profile, train: Ratings, seed: int) -> tuple[ScoreRows, Choice]:
    fit = als_fitter(cfg, seed)
    chosen = choose(als_grid(cfg), lambda tr, p: factor_rows(*fit(tr, p)), train, cfg, seed)
    return factor_rows(*fit(train, chosen.params)), chosen
