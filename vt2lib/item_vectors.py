"""Item vectors for the content-based predictor: trailer embeddings or movie metadata.

    ids, X = item_vectors(cfg, "emb512_s10")   # trailer embedding (notebook 04)
    ids, X = item_vectors(cfg, "metadata")     # multi-hot genres (Table 1's "movie meta data")
    ids, X = item_vectors(cfg, "genome")       # ML20M tag genome, where the MovieLens folder has it
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .config import GENRES, Profile
from .io import DataError


def genre_vectors(movies: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot over the 19 real genres; '(no genres listed)' gives a zero vector (= no vector)."""
    from .training import genre_matrix
    X, _ = genre_matrix(movies.genres)  # its last column, "(no genres listed)", is always 0
    return movies.movieId.to_numpy(np.int64), X[:, : len(GENRES) - 1]


def genome_path(cfg: Profile) -> Path | None:
    folder = Path(cfg.movielens_dir) if cfg.movielens_dir else cfg.data_path / "ml-20m"
    p = folder / "genome-scores.csv"
    return p if p.is_file() else None


def genome_vectors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """ML20M tag genome: relevance of 1,128 tags per movie (movieId, tagId, relevance)."""
    g = pd.read_csv(path)
    missing = {"movieId", "tagId", "relevance"} - set(g.columns)
    if missing:
        raise DataError(f"tag genome file {path} lacks columns {sorted(missing)}")
    wide = g.pivot(index="movieId", columns="tagId", values="relevance").fillna(0.0)
    return wide.index.to_numpy(np.int64), wide.to_numpy(np.float32)


def metadata_variants(cfg: Profile) -> list[str]:
    return ["metadata"] + (["genome"] if genome_path(cfg) else [])


def item_vectors(cfg: Profile, variant: str, movies: pd.DataFrame | None = None):
    if variant == "metadata":
        if movies is None:
            raise ValueError("the metadata variant needs the movies table")
        return genre_vectors(movies)
    if variant == "genome":
        path = genome_path(cfg)
        if path is None:
            raise DataError(f"profile {cfg.name!r} has no genome-scores.csv")
        return genome_vectors(path)
    from .embeddings import load_item_vectors
    return load_item_vectors(cfg, variant)
