"""Beyond the paper: new-item cold start and trailer embeddings as FM side features.

    fold = item_disjoint_folds(movie_ids_per_rating, n_folds=10, seed=42)   # every test movie unseen
    train_rows, test_rows = few_ratings_split(movie_ids_per_rating, fold, k, 3, seed)   # test movies keep 3
    side = side_features(data.movie_ids, {"genres": (ids, X), "trailer": (ids, E)})
    sets = fm_side_feature_sets(cfg, data.movie_ids, movies)   # 09's and 10's: genres, trailer, ...
    X = sets["genres+frozen"].for_fold(train.item)   # the frozen block fitted on this fold's training movies
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
    fold k's movies (kept_ratings); test = the rest of fold k. Every rating is in exactly one of the two.
    """
    return split_keeping(fold, k, kept_ratings(movie_ids, fold, k, n_keep, seed))


def split_keeping(fold: np.ndarray, k: int, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(training rows: every row outside fold k and `kept`, test rows: the rest of fold k), both sorted."""
    return np.sort(np.concatenate([np.flatnonzero(fold != k), kept])), np.setdiff1d(np.flatnonzero(fold == k), kept)


def kept_ratings(movie_ids: np.ndarray, fold: np.ndarray, k: int, n_keep: int, seed: int) -> np.ndarray:
    """The rows of fold k that its movies keep for training in few_ratings_split: `n_keep` of each
    movie's, chosen at random (seeded by seed, k and n_keep), sorted."""
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
    return np.sort(shuffled[rank < n_keep])


@dataclass
class SideFeatures:
    """Item side features, rows in dense item order, one prior group per block.

    Blocks in `per_fold` are centred, PCA-reduced and scaled on each fold's training movies only
    (`for_fold(train.item)`), as frozen_mean's PCA is; the others once, on every movie with a vector."""
    names: list[str]
    groups: list[int]                                   # feature count per block (myfm group_shapes)
    fixed: dict[str, np.ndarray]                        # (n_items, width) per block fitted once
    per_fold: dict[str, tuple[np.ndarray, np.ndarray]]  # (dense item of each vector, raw vectors)
    n_items: int
    pca_dim: int | None = None
    seed: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_items, sum(self.groups)

    @property
    def matrix(self) -> sp.csr_matrix:
        """(n_items, n_features); only where no block is fitted per fold (else for_fold)."""
        if self.per_fold:
            raise ValueError(f"side blocks {list(self.per_fold)} are fitted per fold: use for_fold(train.item)")
        return sp.hstack([sp.csr_matrix(self.fixed[n]) for n in self.names], format="csr")

    def for_fold(self, train_items: np.ndarray) -> sp.csr_matrix:
        """(n_items, n_features) for one fold: its per-fold blocks fitted on the movies with a
        training rating (`train_items`: dense item ids of the fold's training ratings)."""
        if not self.per_fold:
            return self.matrix
        trained = np.zeros(self.n_items, bool)
        trained[train_items] = True
        blocks = []
        for name in self.names:
            if name in self.fixed:
                blocks.append(self.fixed[name])
                continue
            items, X = self.per_fold[name]
            out = np.zeros((self.n_items, self.groups[self.names.index(name)]))
            out[items] = _standardise(X, trained[items], self.pca_dim, self.seed, name)
            blocks.append(out)
        return sp.csr_matrix(np.hstack(blocks))

    def digest_parts(self) -> tuple:
        """What the FM's cache key digests (store.digest's parts: arrays at top level, never in a list,
        whose repr would elide them): the matrix, or each block's fitted rows or per-fold inputs."""
        if not self.per_fold:
            return self.matrix.toarray(), self.groups
        arrays = [a for n in self.names for a in ((self.fixed[n],) if n in self.fixed else self.per_fold[n])]
        return (self.names, self.groups, *arrays, self.pca_dim, self.seed,
                f"{list(self.per_fold)}: centred, PCA'd and scaled on each fold's training movies")


def _too_few_for_pca(pca_dim: int, name: str, having: str) -> DataError:
    return DataError(f"side_pca_dim = {pca_dim}: side block {name!r} has vectors for only {having}, too few for "
                     f"{pca_dim} principal axes; lower side_pca_dim")


def _standardise(X: np.ndarray, fit: np.ndarray | None, pca_dim: int | None, seed: int, name: str) -> np.ndarray:
    """A real-valued block centred, PCA-reduced to `pca_dim` and scaled to mean row norm 1, every
    statistic taken on the rows in `fit` (a mask; None: all rows), then applied to every row.

    A fold with fewer training movies than `pca_dim` gets as many axes as it has movies (as
    frozen_mean.fold_pca) and zero columns for the rest: the block keeps its width, and a zero
    feature enters no prediction."""
    F = X if fit is None else X[fit]
    if not len(F):
        raise DataError(f"side block {name!r}: no training movie of a fold has a vector to fit it on")
    if pca_dim and X.shape[1] > pca_dim:
        if fit is None and len(F) < pca_dim:
            raise _too_few_for_pca(pca_dim, name, f"{len(F)} movies")
        from sklearn.decomposition import PCA
        pca = PCA(min(pca_dim, len(F)), random_state=seed)
        if fit is None:
            X = F = pca.fit_transform(X)   # not fit + transform: the bits the stored FMs' cache keys digest
        else:
            pca.fit(F)
            missing = pca_dim - pca.n_components_
            X, F = (np.hstack([pca.transform(A), np.zeros((len(A), missing))]) for A in (X, F))
    centre = F.mean(0)
    return (X - centre) / max(float(np.linalg.norm(F - centre, axis=1).mean()), 1e-12)


def side_features(item_movie_ids: np.ndarray, blocks: dict[str, tuple[np.ndarray, np.ndarray]],
                  pca_dim: int | None = None, seed: int = 0, per_fold: tuple[str, ...] = ()) -> SideFeatures:
    """Item side-feature matrix aligned with dense item ids; rows of items without a vector are 0.

    Each block is (movie ids, vectors). Real-valued blocks are centred (optionally PCA-reduced
    to `pca_dim`) and scaled so that the average row has norm 1, like a one-hot id row. One
    scale per block, not per column: near-constant columns would otherwise blow up noise.
    Blocks named in `per_fold` take those statistics from each fold's training movies only
    (SideFeatures.for_fold); the others from every movie with a vector.
    """
    fixed, folded, groups = {}, {}, []
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
        pos = pd.Series(np.arange(len(ids)), index=ids)
        rows = pos.reindex(item_movie_ids).to_numpy()
        have = ~np.isnan(rows)
        if name in per_fold and not binary:
            if pca_dim and X.shape[1] > pca_dim and have.sum() < pca_dim:  # fails here, not in a fold's FM
                raise _too_few_for_pca(pca_dim, name, f"{have.sum()} rated movies")
            folded[name] = (np.flatnonzero(have), X[rows[have].astype(int)])
            groups.append(min(pca_dim, X.shape[1]) if pca_dim else X.shape[1])
            continue
        if not binary:
            X = _standardise(X, None, pca_dim, seed, name)
        out = np.zeros((len(item_movie_ids), X.shape[1]))
        out[have] = X[rows[have].astype(int)]
        fixed[name] = out
        groups.append(X.shape[1])
    return SideFeatures(list(blocks), groups, fixed, folded, len(item_movie_ids), pca_dim, seed)


def fm_side_feature_sets(cfg, item_movie_ids: np.ndarray, movies: pd.DataFrame) -> dict[str, SideFeatures]:
    """The FM side-feature sets of notebooks 09 and 10: genres, the analyses' trailer embedding
    (leak-free by default: no test rating shaped it), both, and genres + the frozen features;
    genres alone where the profile has no trailers (side_embedding_variant: metadata)."""
    from vt2lib.rating import methods as M
    from vt2lib.rating.item_vectors import genre_vectors, load_vectors
    from vt2lib.rating.monte_carlo import shuffled_rows
    genres = genre_vectors(movies)
    blocks = {"genres": {"genres": genres}}
    if fm_side_set(cfg) == "genres+trailer":
        trailer = load_vectors(cfg, M.side_method(cfg).vectors)
        frozen = load_vectors(cfg, M.frozen_mean_methods(cfg)[0].vectors)
        blocks |= {"trailer": {"trailer": trailer}, "genres+trailer": {"genres": genres, "trailer": trailer},
                   # the permutation control: the same model, each movie given another movie's trailer
                   SHUFFLED: {"genres": genres, "trailer": shuffled_rows(*trailer, cfg.seed, among=item_movie_ids)},
                   "genres+frozen": {"genres": genres, "frozen": frozen}}
    # the frozen features are centred, PCA'd and scaled on each fold's training movies, as Eq. 1's
    # frozen_mean is: a new movie's trailer shapes none of it. The trained embedding's network was
    # trained on every trailer (no rating in the leak-free model): its PCA over every trailer adds no
    # trailer it had not seen
    return {name: side_features(item_movie_ids, b, cfg.side_pca_dim, cfg.seed, per_fold=("frozen",))
            for name, b in blocks.items()}


SHUFFLED = "genres+trailer_shuffled"  # 09's permutation control of the FM + genres + trailer


def fm_side_set(cfg) -> str:
    """The side features of the FM that 09 records and 10 ranks: genres + the trailer embedding, or
    genres alone where side_embedding_variant names genres (auto, without trailers)."""
    from vt2lib.rating import methods as M
    return "genres" if M.side_method(cfg).vectors.kind == "metadata" else "genres+trailer"


def side_fm_name(side_set: str) -> str:
    """The method name of the FM on a side-feature set: fm_genres, fm_genres_trailer, ..."""
    return "fm_" + side_set.replace("+", "_")


def side_fm_label(side_set: str) -> str:
    """FM + genres + trailer; the control: FM + genres + trailer (rows shuffled)."""
    return "FM + " + side_set.replace("+", " + ").replace("trailer_shuffled", "trailer (rows shuffled)")


def cold_start_numbers(cfg) -> dict[str, tuple[str, object, str]]:
    """09's recorded numbers, fixed in advance by the profile (never picked on the test folds):
    {metric: (label, setting, method)}, setting 0 = fully cold; the trailer rows where there are trailers."""
    from vt2lib.rating import methods as M
    side_set = fm_side_set(cfg)
    fm, side, trailers = side_fm_name(side_set), side_fm_label(side_set), side_set == "genres+trailer"
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
    """The cold-start figure's lines, label -> method name: FM on ids, FM + `side_set` (fm_side_set), FM +
    genres (where it ran), each
    kind of content row (genres; trained embeddings of the leak-free and of the paper's model;
    frozen features) at its variant with the lowest `cold_rmse` (the fully cold median: a figure
    to read at a glance; every variant is in the tables), and the user mean."""
    def kind(m):
        v = m.vectors
        return None if v is None else {"metadata": "content, genres", "genome": "content, tag genome",
                            "frozen_mean": "content, frozen features"}.get(
            v.kind, "content, trained (paper's model, leaky)" if v.leaky else "content, trained (leak-free)")
    out = {"FM, ids": "fm_ids", side_fm_label(side_set): side_fm_name(side_set)}
    if side_fm_name("genres") in methods:  # the best fully cold FM on the demo: the trailer's gain is read against it
        out.setdefault(side_fm_label("genres"), side_fm_name("genres"))
    for name, m in methods.items():
        k = kind(m)
        if k and (k not in out or cold_rmse[name] < cold_rmse[out[k]]):
            out[k] = name
    return out | {"user mean": "user_mean"}
