"""Item vectors for the content-based predictor: trailer embeddings or movie metadata.

A `VectorSource` says where a method's item vectors come from; vt2lib.rating.methods declares one
per content-based method, and notebooks never build or parse the names.

    ids, X = load_vectors(cfg, embedding_sources(cfg, "leakfree")[0])   # 256-d, S = 10, leak-free model
    ids, X = load_vectors(cfg, metadata_sources(cfg)[0])                # multi-hot genres
    ids, X = load_vectors(cfg, frozen_mean_sources(cfg)[0])             # mean frozen keyframe features

>>> [s.name for s in embedding_sources(load_profile("smoke"), "leakfree")]
['emb256_s10_leakfree', 'emb512_s10_leakfree', 'emb256_s20_leakfree', 'emb512_s20_leakfree']
>>> import pandas as pd
>>> ids, X = genre_vectors(pd.DataFrame({"movieId": [7], "genres": ["Drama|War"]}))
>>> ids.tolist(), int(X.sum()), X.shape
([7], 2, (1, 19))
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import GENRES, MODELS, Profile, model_name, movielens_folder
from vt2lib.profiles import load_profile  # noqa: F401 - the doctest
from vt2lib.data.genres import genre_matrix
from vt2lib.io import DataError
from vt2lib.store import EMBEDDINGS_FILE, FROZEN_MEANS_FILE, Store, embeddings_artifact


@dataclass(frozen=True)
class VectorSource:
    name: str                    # emb512_s10, emb512_s10_leakfree, metadata, genome, frozen_mean
    kind: str                    # embedding | metadata | genome | frozen_mean
    dim: int | None = None       # embedding width (frozen_mean: the PCA's, fitted per fold)
    seq_len: int | None = None   # keyframes per sequence of the embedding model
    model: str = "paper"         # embedding model (config.MODELS)

    @property
    def leaky(self) -> bool:
        """Trailer embeddings of the paper's model: its rating head learnt the evaluation ratings."""
        return self.kind == "embedding" and self.model == "paper"


def embedding_sources(cfg: Profile, model: str = "paper") -> list[VectorSource]:
    """Trailer-embedding sources in Table 1 order (256 then 512 per S); none without trailers."""
    if model not in MODELS:
        raise ValueError(f"unknown embedding model {model!r}; valid: {', '.join(MODELS)}")
    if cfg.trailer_source == "none":
        return []
    big, small = cfg.embedding_sizes
    return [VectorSource(f"emb{d}_{model_name(s, model)}", "embedding", d, s, model)
            for s in cfg.sequence_lengths for d in (small, big)]


def frozen_mean_sources(cfg: Profile) -> list[VectorSource]:
    """The untrained baseline: mean frozen keyframe features, PCA-reduced to the small embedding's width."""
    return [] if cfg.trailer_source == "none" else [VectorSource("frozen_mean", "frozen_mean", cfg.embedding_sizes[1])]


def genome_path(cfg: Profile) -> Path | None:
    p = movielens_folder(cfg) / "genome-scores.csv"
    return p if p.is_file() else None


def metadata_sources(cfg: Profile) -> list[VectorSource]:
    """Genres always; the ML20M tag genome where the MovieLens folder has it."""
    return [VectorSource("metadata", "metadata")] + ([VectorSource("genome", "genome")] if genome_path(cfg) else [])


def genre_vectors(movies: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot over the 19 real genres; '(no genres listed)' gives a zero vector (= no vector)."""
    X, _ = genre_matrix(movies.genres)  # its last column, "(no genres listed)", is always 0
    return movies.movieId.to_numpy(np.int64), X[:, : len(GENRES) - 1]


def genome_vectors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """ML20M tag genome: relevance of 1,128 tags per movie (movieId, tagId, relevance)."""
    g = pd.read_csv(path)
    missing = {"movieId", "tagId", "relevance"} - set(g.columns)
    if missing:
        raise DataError(f"tag genome file {path} lacks columns {sorted(missing)}")
    wide = g.pivot(index="movieId", columns="tagId", values="relevance").fillna(0.0)
    return wide.index.to_numpy(np.int64), wide.to_numpy(np.float32)


def trailer_embeddings(cfg: Profile, source: VectorSource) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, trailer embeddings) from notebook 04's stored embeddings."""
    store = Store(cfg)
    z = np.load(store.require(embeddings_artifact(source.seq_len, source.model)) / EMBEDDINGS_FILE)
    key = "trailer_big" if source.dim == cfg.embedding_sizes[0] else "trailer_small"
    if z[key].shape[1] != source.dim:
        raise DataError(f"{source.name}: stored {key} has {z[key].shape[1]} dimensions, expected {source.dim}")
    return per_movie(store, z["youtube_id"], z[key])


def per_movie(store: Store, youtube_ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, rows of `vectors`) for every movie whose trailer is usable: movies that share a
    YouTube id share its vector."""
    status = store.load_table("keyframe_status", "status").query("status == 'ok'")
    row_of = pd.Series(np.arange(len(youtube_ids)), index=youtube_ids)
    status = status[status.youtube_id.isin(row_of.index)].sort_values("movieId")
    return status.movieId.to_numpy(np.int64), vectors[row_of[status.youtube_id].to_numpy()]


def frozen_mean_vectors(cfg: Profile) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, mean frozen keyframe features) from notebook 04's frozen_means artifact."""
    store = Store(cfg)
    z = np.load(store.require("frozen_means") / FROZEN_MEANS_FILE)
    return per_movie(store, z["youtube_id"], z["mean"])


def load_vectors(cfg: Profile, source: VectorSource, movies: pd.DataFrame | None = None):
    """(movie ids, vectors) of a source; `movies` (the cleaned movies table) for metadata."""
    if source.kind == "embedding":
        return trailer_embeddings(cfg, source)
    if source.kind == "frozen_mean":
        return frozen_mean_vectors(cfg)
    if source.kind == "metadata":
        if movies is None:
            from vt2lib.data.cleaning import load_clean
            movies = load_clean(cfg)["movies"]
        return genre_vectors(movies)
    if source.kind == "genome":
        path = genome_path(cfg)
        if path is None:
            raise DataError(f"profile {cfg.name!r} has no genome-scores.csv")
        return genome_vectors(path)
    raise ValueError(f"unknown vector source kind {source.kind!r}")
