"""A content ranker for new movies that is trained for ranking (issue 33 §3): item vectors mapped to ALS
item factors by ridge regression on the fold's old movies (Gantner et al. 2010, "map-lin"), then a new
movie is scored as any other: the user's ALS factors times its mapped factors.

Per fold, ALS's hyper-parameters and the ridge's l2 are chosen together on an item-disjoint inner split
of the fold's training ratings (a seeded tenth of its old movies held out: new to the inner ALS, as the
fold's test movies are new to the fold's), by Recall@10 (then NDCG@10) of the held-out movies among
themselves; then
ALS is refitted on every training rating and the ridge on every old movie. Each vector source (trailer
embedding, frozen features, genres) chooses its own pair; they share the inner ALS fits.

    scorers = fit_content_maps(cfg, train, {"trailer": (rows, vectors), ...}, seed)  # {name: (score_rows, Choice)}

>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(50, 3)); factors = x @ np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]) + 0.5
>>> (w, b), = ridge_maps(x, factors, [1e-6])
>>> np.allclose(predict_factors(x, w, b), factors, atol=1e-4)
True
"""
from __future__ import annotations

import numpy as np

from vt2lib.config import Profile
from vt2lib.rating.predictors import Ratings
from vt2lib.ranking.trained import (Choice, ScoreRows, als_fitter, als_grid, best_index, factor_rows,
                                    inner_split, validation_score)


def ridge_basis(x: np.ndarray) -> tuple:
    """What every ridge from x (movies x d) shares: x's mean and scale on these movies and the SVD of x
    standardised by them (the costly part: 13.6k x 1280 frozen features take seconds)."""
    mean, scale = x.mean(0), x.std(0)
    scale = np.where(scale > 0, scale, 1.0)
    return (mean, scale, *np.linalg.svd((x - mean) / scale, full_matrices=False))


def ridge_maps(x: np.ndarray, y: np.ndarray, l2s, basis: tuple | None = None
               ) -> list[tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]]:
    """Ridge from x (movies x d) to y (movies x factors) for each l2 (times the movie count, so one grid
    suits any size), from one SVD (`basis`: ridge_basis(x) when it is at hand). x is standardised on these
    movies; each map is ((W, mean, scale), b)."""
    mean, scale, U, s, Vt = ridge_basis(x) if basis is None else basis
    b = y.mean(0)
    Uty = U.T @ (y - b)
    return [((Vt.T @ ((s / (s ** 2 + l2 * len(x)))[:, None] * Uty), mean, scale), b) for l2 in l2s]


def predict_factors(x: np.ndarray, w, b: np.ndarray) -> np.ndarray:
    W, mean, scale = w
    return ((x - mean) / scale) @ W + b


def mapped_item_factors(item_factors: np.ndarray, rated: np.ndarray, rows: np.ndarray, vectors: np.ndarray,
                        l2s, bases: dict | None = None) -> list[np.ndarray]:
    """Per l2: the ALS item factors with every movie not in `rated` (no interaction in training: new to ALS)
    replaced by its vector's mapped factors (the intercept, the old movies' mean factor, where it has no
    vector). The ridge learns from the rated movies with a vector; `bases` keeps its SVD for the next
    call on the same vectors and movies (a grid's ALS fits share it)."""
    fit = rated & (rows >= 0)
    if not fit.any():
        raise ValueError("content map: no movie with a training interaction has a vector; nothing to learn from")
    x = vectors[rows[fit]]
    key = (id(vectors), fit.tobytes())
    basis = bases.get(key) if bases is not None else None
    if basis is None:
        basis = ridge_basis(x)
        if bases is not None:
            bases[key] = basis
    out = []
    for w, b in ridge_maps(x, item_factors[fit], l2s, basis):
        factors = item_factors.copy()
        new = ~rated
        factors[new] = b
        with_vector = new & (rows >= 0)
        factors[with_vector] = predict_factors(vectors[rows[with_vector]], w, b)
        out.append(factors.astype(np.float32))
    return out


def _has_interactions(train: Ratings, params: dict) -> np.ndarray:
    """The movies ALS learnt a factor for: those with a training rating >= the grid point's positives."""
    return np.bincount(train.item[train.rating >= params["positives"]], minlength=train.n_items) > 0


def fit_content_maps(cfg: Profile, train: Ratings, sources: dict[str, tuple[np.ndarray, np.ndarray]],
                     seed: int) -> dict[str, tuple[ScoreRows, Choice]]:
    """{source name: (score_rows, Choice)} for one fold; sources: {name: (vector row per movie, vectors)}."""
    fit = als_fitter(cfg, seed)
    bases: dict = {}  # each source's SVD on the movies it is fitted to (one per positives value, not per fit)
    inner, *held = inner_split(train, seed, item_disjoint=True)
    grid = als_grid(cfg)
    scores = {name: np.full((len(grid), len(cfg.content_map_l2), 2), np.nan) for name in sources}  # Recall, NDCG
    for g, params in enumerate(grid):
        user_f, item_f = fit(inner, params)
        inner_rated = _has_interactions(inner, params)
        for name, (rows, vectors) in sources.items():
            for a, factors in enumerate(mapped_item_factors(item_f, inner_rated, rows, vectors, cfg.content_map_l2,
                                                            bases)):
                scores[name][g, a] = validation_score(factor_rows(user_f, factors), inner, held, cfg.ranking_users,
                                                      seed)
    refitted: dict[int, tuple] = {}  # the full-fold ALS of each chosen grid point, fitted once
    out = {}
    for name, (rows, vectors) in sources.items():
        flat = scores[name].reshape(-1, 2)
        g, a = np.unravel_index(best_index([tuple(s) for s in flat]), scores[name].shape[:2])  # Recall, then NDCG
        if g not in refitted:
            refitted[g] = fit(train, grid[g])
        user_f, item_f = refitted[g]
        factors = mapped_item_factors(item_f, _has_interactions(train, grid[g]), rows, vectors,
                                      [cfg.content_map_l2[a]], bases)[0]
        chosen = Choice({**grid[g], "map_l2": cfg.content_map_l2[a]}, float(scores[name][g, a, 0]), len(flat))
        out[name] = (factor_rows(user_f, factors), chosen)
    return out
