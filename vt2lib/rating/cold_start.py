"""Beyond the paper: new-item cold start and trailer embeddings as FM side features.

    fold = item_disjoint_folds(movie_ids_per_rating, n_folds=10, seed=42)   # every test movie unseen
    train_rows, test_rows = few_ratings_split(movie_ids_per_rating, fold, k, 3, seed)   # test movies keep 3
    side = side_features(data.movie_ids, {"genres": (ids, X), "trailer": (ids, E)})
    sets = fm_side_feature_sets(cfg, data.movie_ids, movies)   # 09's and 10's: genres, trailer, ...
    fm = side_fm_name(fm_side_set(cfg))   # the FM with side features 09 records and 10 ranks

>>> fold = item_disjoint_folds(np.array([10, 10, 20, 30, 30, 30]), n_folds=2, seed=0)
>>> bool(fold[0] == fold[1] and fold[3] == fold[4] == fold[5])    # a movie's ratings share one fold
True

The paper motivates trailer embeddings by the new-item problem but never tests it; these
helpers build the splits that do, from the same cleaned ratings and code path as Table 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from vt2lib.io import DataError


def item_disjoint_cv(cfg, warm):
    """Table 1's CV data with 09's item-disjoint folds (the fold seed and count of the profile)."""
    from vt2lib.rating.evaluation import CVData
    fold = item_disjoint_folds(warm.table.movieId.to_numpy(), cfg.n_folds, cfg.fold_seed)
    return CVData(warm.table.assign(fold=fold), warm.user, warm.item, warm.movie_ids, warm.n_users, warm.n_items)


def setting_split(data, n: int, seed: int):
    """split(k) -> (training ratings, test rows) of `data`'s item-disjoint fold k in which each
    test movie keeps n of its ratings for training (few_ratings_split; n = 0: fully cold)."""
    movie_ids, fold = data.table.movieId.to_numpy(), data.table.fold.to_numpy()

    def split(k):
        train, test = few_ratings_split(movie_ids, fold, k, n, seed)
        return data.ratings(train), test
    return split


def item_disjoint_folds(movie_ids: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold id per rating such that each movie's ratings are all in one fold (GroupKFold-style).

    Movies are shuffled with `seed` and dealt to folds greedily by rating count (largest
    first, to the fold with fewest ratings), so folds hold similar numbers of ratings.
    """
    movies, inverse, counts = np.unique(movie_ids, return_inverse=True, return_counts=True)
    if n_folds > len(movies):
        raise DataError(f"n_folds = {n_folds}: only {len(movies)} movies to deal into item-disjoint folds "
                        "(notebook 09's new-movie settings); lower n_folds")
    order = np.random.default_rng(seed).permutation(len(movies))
    order = order[np.argsort(-counts[order], kind="stable")]
    load = np.zeros(n_folds, np.int64)
    fold_of_movie = np.empty(len(movies), np.int8)
    for m in order:
        f = int(np.argmin(load))
        fold_of_movie[m] = f
        load[f] += counts[m]
    return fold_of_movie[inverse]


def few_ratings_split(movie_ids: np.ndarray, fold: np.ndarray, k: int, n_keep: int, seed: int):
    """Rows for training and test when fold k's movies keep `n_keep` training ratings each.

    Training = every rating outside fold k plus `n_keep` randomly chosen ratings of each of
    fold k's movies; test = the rest of fold k. Every rating is in exactly one of the two.
    """
    in_k = np.flatnonzero(fold == k)
    rng = np.random.default_rng([seed, k, n_keep])
    shuffled = in_k[rng.permutation(len(in_k))]
    # rank of each rating among its movie's ratings, in shuffled order
    movies = movie_ids[shuffled]
    order = np.argsort(movies, kind="stable")
    sorted_movies = movies[order]
    starts = np.r_[0, np.flatnonzero(sorted_movies[1:] != sorted_movies[:-1]) + 1]
    rank_sorted = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(order), np.int64)
    rank[order] = rank_sorted
    kept = shuffled[rank < n_keep]
    test = np.sort(shuffled[rank >= n_keep])
    train = np.sort(np.concatenate([np.flatnonzero(fold != k), kept]))
    return train, test


@dataclass
class SideFeatures:
    matrix: sp.csr_matrix     # (n_items, n_features), rows in dense item order
    groups: list[int]         # feature count per block (myfm group_shapes)
    names: list[str]


def side_features(item_movie_ids: np.ndarray, blocks: dict[str, tuple[np.ndarray, np.ndarray]],
                  pca_dim: int | None = None, seed: int = 0) -> SideFeatures:
    """Item side-feature matrix aligned with dense item ids; rows of items without a vector are 0.

    Each block is (movie ids, vectors). Real-valued blocks are centred (optionally PCA-reduced
    to `pca_dim`) and scaled so that the average row has norm 1, like a one-hot id row. One
    scale per block, not per column: near-constant columns would otherwise blow up noise.
    """
    mats, groups = [], []
    for name, (ids, X) in blocks.items():
        ids = np.asarray(ids)
        X = np.asarray(X, np.float64)
        if len(ids) != len(X):
            raise ValueError(f"side block {name!r}: {len(ids)} ids for {len(X)} vectors")
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f"side block {name!r}: duplicate movie ids")
        if not np.isfinite(X).all():
            raise ValueError(f"side block {name!r}: NaN or inf in the vectors")
        binary = np.isin(X, (0.0, 1.0)).all()
        if not binary:
            if pca_dim and X.shape[1] > pca_dim:
                if len(X) < pca_dim:
                    raise DataError(f"side_pca_dim = {pca_dim}: side block {name!r} has vectors for only "
                                    f"{len(X)} movies, too few for {pca_dim} principal axes; lower side_pca_dim")
                from sklearn.decomposition import PCA
                X = PCA(pca_dim, random_state=seed).fit_transform(X)
            X = X - X.mean(0)
            X = X / max(float(np.linalg.norm(X, axis=1).mean()), 1e-12)
        pos = pd.Series(np.arange(len(ids)), index=ids)
        rows = pos.reindex(item_movie_ids).to_numpy()
        out = np.zeros((len(item_movie_ids), X.shape[1]))
        have = ~np.isnan(rows)
        out[have] = X[rows[have].astype(int)]
        mats.append(sp.csr_matrix(out))
        groups.append(X.shape[1])
    return SideFeatures(sp.hstack(mats, format="csr"), groups, list(blocks))


def fm_side_feature_sets(cfg, item_movie_ids: np.ndarray, movies: pd.DataFrame) -> dict[str, SideFeatures]:
    """The FM side-feature sets of notebooks 09 and 10: genres, the analyses' trailer embedding
    (leak-free by default: no test rating shaped it), both, and genres + the frozen features;
    genres alone where the profile has no trailers (side_embedding_variant: metadata)."""
    from vt2lib.rating import methods as M
    from vt2lib.rating.item_vectors import genre_vectors, load_vectors
    genres = genre_vectors(movies)
    blocks = {"genres": {"genres": genres}}
    if fm_side_set(cfg) == "genres+trailer":
        trailer = load_vectors(cfg, M.side_method(cfg).vectors)
        frozen = load_vectors(cfg, M.frozen_mean_methods(cfg)[0].vectors)
        blocks |= {"trailer": {"trailer": trailer}, "genres+trailer": {"genres": genres, "trailer": trailer},
                   "genres+frozen": {"genres": genres, "frozen": frozen}}
    return {name: side_features(item_movie_ids, b, cfg.side_pca_dim, cfg.seed) for name, b in blocks.items()}


def fm_side_set(cfg) -> str:
    """The side features of the FM that 09 records and 10 ranks: genres + the trailer embedding, or
    genres alone where side_embedding_variant names genres (auto, without trailers)."""
    from vt2lib.rating import methods as M
    return "genres" if M.side_method(cfg).vectors.kind == "metadata" else "genres+trailer"


def side_fm_name(side_set: str) -> str:
    """The method name of the FM on a side-feature set: fm_genres, fm_genres_trailer, ..."""
    return "fm_" + side_set.replace("+", "_")


def side_fm_label(side_set: str) -> str:
    return "FM + " + side_set.replace("+", " + ")  # FM + genres + trailer


def cold_start_numbers(cfg) -> dict[str, tuple[str, object, str]]:
    """09's recorded numbers, fixed in advance by the profile (never picked on the test folds):
    {metric: (label, setting, method)}, setting 0 = fully cold; the trailer rows where there are trailers."""
    from vt2lib.rating import methods as M
    fm, side = side_fm_name(fm_side_set(cfg)), side_fm_label(fm_side_set(cfg))
    trailers = fm_side_set(cfg) == "genres+trailer"
    out = {"rmse_cold_fm_ids": ("new movies: FM on ids, median RMSE", 0, "fm_ids"),
           "rmse_cold_fm_side": (f"new movies: {side}", 0, fm),
           "rmse_cold_content_metadata": ("new movies: content-based, genres (metadata)", 0, "content_metadata")}
    if trailers:
        leakfree = M.model_variant(cfg, cfg.variant("side_embedding_variant"), "leakfree").name
        out["rmse_cold_content_leakfree"] = ("new movies: content-based, trailer embedding (leak-free model)", 0,
                                             f"content_{leakfree}")
    out |= {"rmse_cold_user_mean": ("new movies: user mean", 0, "user_mean"),
            "rmse_warm_fm": ("warm: FM on ids, median RMSE", "warm", "fm_ids"),
            "rmse_warm_fm_side": (f"warm: {side}", "warm", fm)}
    if trailers:
        frozen = "new movies: content-based, frozen features (no network; not in paper)"
        out |= {"rmse_cold_content_frozen_mean": (frozen, 0, "content_frozen_mean"),
                "rmse_cold_fm_side_frozen": ("new movies: FM + genres + frozen features", 0, "fm_genres_frozen"),
                "rmse_warm_fm_side_frozen": ("warm: FM + genres + frozen features", "warm", "fm_genres_frozen")}
    return out


def cold_start_families(methods: dict, cold_rmse: dict[str, float], side_set: str = "genres+trailer") -> dict[str, str]:
    """The cold-start figure's lines, label -> method name: FM on ids, FM + `side_set` (fm_side_set), each
    kind of content row (genres; trained embeddings of the leak-free and of the paper's model;
    frozen features) at its variant with the lowest `cold_rmse` (the fully cold median: a figure
    to read at a glance; every variant is in the tables), and the user mean."""
    def kind(m):
        v = m.vectors
        return None if v is None else {"metadata": "content, genres", "genome": "content, tag genome",
                            "frozen_mean": "content, frozen features"}.get(
            v.kind, "content, trained (paper's model, leaky)" if v.leaky else "content, trained (leak-free)")
    out = {"FM, ids": "fm_ids", side_fm_label(side_set): side_fm_name(side_set)}
    for name, m in methods.items():
        k = kind(m)
        if k and (k not in out or cold_rmse[name] < cold_rmse[out[k]]):
            out[k] = name
    return out | {"user mean": "user_mean"}
