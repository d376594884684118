"""The `frozen_mean` baseline (issue 24): Eq. 1 on frozen MobileNetV2 features, no network trained.

A trailer's vector is the mean of its keyframe features (notebook 04 stores them), PCA-reduced
to the small embedding's width. The PCA is fitted inside each fold, on the vectors of that
fold's training movies only (movies with a training rating), so a test movie's trailer never
shapes the projection its similarities are computed in; in 09's item-disjoint folds those are
exactly the new movies.

    fn, key = frozen_mean_predictor(cfg, data, ids, vectors, dim=256)   # a run_cv predictor

>>> X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
>>> before = fold_pca(X, np.array([0, 1, 2]), 1)   # rows 0-2: the training movies
>>> X[3] = [-40.0, 7.0]                             # a test movie's trailer changes...
>>> bool(np.allclose(before[:3], fold_pca(X, np.array([0, 1, 2]), 1)[:3]))   # ...the others' coordinates do not
True
"""
from __future__ import annotations

import numpy as np

from vt2lib.config import Profile
from vt2lib.rating import predictors as P


def fold_pca(X: np.ndarray, fit_rows: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
    """All rows of X projected on the first `dim` principal axes of X[fit_rows] (float32).

    A full SVD: deterministic, and the rows outside fit_rows change nothing but their own
    coordinates."""
    from sklearn.decomposition import PCA
    dim = min(dim, len(fit_rows), X.shape[1])
    pca = PCA(dim, svd_solver="full", random_state=seed).fit(np.asarray(X[fit_rows], np.float64))
    return pca.transform(np.asarray(X, np.float64)).astype(np.float32)


def training_vector_rows(rows: np.ndarray, train_items: np.ndarray) -> np.ndarray:
    """Rows of the usable vectors that belong to a movie with a training rating.

    rows: dense item -> vector row (-1: none), as vector_rows returns it."""
    trained = np.zeros(len(rows), bool)
    trained[train_items] = True
    return np.unique(rows[trained & (rows >= 0)])


def fold_similarity(cfg: Profile, rows: np.ndarray, usable: np.ndarray, train, dim: int) -> np.ndarray:
    """Eq. 1's similarities on one fold: the usable vectors (vector_rows) projected by a PCA fitted
    on that fold's training movies."""
    Z = fold_pca(usable, training_vector_rows(rows, train.item), dim, cfg.seed)
    return P.similarity_matrix(Z, cfg.similarity)


def frozen_mean_predictor(cfg: Profile, data, ids: np.ndarray, vectors: np.ndarray, dim: int):
    """Eq. 1 with per-fold PCA vectors, as a run_cv predictor, and the cache key of its inputs."""
    from vt2lib.store import digest
    rows, usable = P.vector_rows(data.movie_ids, ids, vectors)

    def predict(train, test_u, test_i, k):
        return P.content_based(train, test_u, test_i, fold_similarity(cfg, rows, usable, train, dim), rows, cfg.top_k)
    return predict, digest(ids, vectors, dim, "pca on each fold's training movies", cfg.similarity, cfg.top_k,
                              cfg.seed)
