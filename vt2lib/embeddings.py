"""Sequence and trailer embeddings (paper 2.3, 3.4) and the PCA figures (Figs 9-11).

    seq = sequence_embeddings(embed_model, data)        # {"big": (n_seq, 512), "small": (n_seq, 256)}
    save_embeddings(cfg, S, data, seq, model="leakfree") # runs/<p>/embeddings/s{S}_leakfree.npz
    ids, X = load_item_vectors(cfg, "emb512_s10")        # trailer embedding per movieId (paper model)
    ids, X = load_item_vectors(cfg, "emb512_s10_leakfree")   # the same from the model without rating head
    fig, var = pca_figure(seq["small"], data, movies, patterns, references)

Trailer embedding = mean of its sequence embeddings; movies that share a YouTube id share
the trailer embedding.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Profile
from .io import DataError, write_npz_atomic
from .training import MODELS, SequenceData


def sequence_embeddings(embed_model, data: SequenceData, batch_size: int = 256) -> dict[str, np.ndarray]:
    big, small = [], []
    for start in range(0, len(data.seq_offset), batch_size):
        idx = np.arange(start, min(start + batch_size, len(data.seq_offset)))
        b, s = embed_model.predict_on_batch(data.windows(idx))
        big.append(np.asarray(b))
        small.append(np.asarray(s))
    return {"big": np.concatenate(big), "small": np.concatenate(small)}


def trailer_means(seq_trailer: np.ndarray, emb: np.ndarray, n_trailers: int) -> np.ndarray:
    """(n_trailers, dim) mean over each trailer's sequences (vectorised)."""
    sums = np.zeros((n_trailers, emb.shape[1]), np.float64)
    np.add.at(sums, seq_trailer, emb)
    counts = np.bincount(seq_trailer, minlength=n_trailers)[:, None]
    return (sums / np.maximum(counts, 1)).astype(np.float32)


def model_suffix(model: str) -> str:
    """How names mark an embedding model: "" for the paper's, "_leakfree" for the leak-free one."""
    if model not in MODELS:
        raise ValueError(f"unknown embedding model {model!r}; valid: {', '.join(MODELS)}")
    return "" if model == "paper" else f"_{model}"


def embeddings_path(cfg: Profile, seq_len: int, model: str = "paper") -> Path:
    return cfg.run_dir / "embeddings" / f"s{seq_len}{model_suffix(model)}.npz"


def variant_names(cfg: Profile, model: str = "paper") -> list[str]:
    """Content-based variants in Table 1 order: emb256_s10, emb512_s10, emb256_s20, emb512_s20
    (model "leakfree": the same names ending in _leakfree).

    None for a profile without trailers (trailer_source = "none"): only the rating rows run.
    """
    if cfg.trailer_source == "none":
        return []
    big, small = cfg.embedding_sizes
    return [f"emb{d}_s{s}{model_suffix(model)}" for s in cfg.sequence_lengths for d in (small, big)]


def analysis_variant(cfg: Profile, variant: str) -> str:
    """`variant` (e.g. emb256_s10) from the model the analyses use (cfg.analysis_embeddings)."""
    return variant + model_suffix(cfg.analysis_embeddings)


def save_embeddings(cfg: Profile, seq_len: int, data: SequenceData, seq: dict[str, np.ndarray],
                    model: str = "paper") -> Path:
    t = data.trailers
    path = embeddings_path(cfg, seq_len, model)
    write_npz_atomic(path, youtube_id=t.youtube_id.to_numpy(str), movie_id=t.movieId.to_numpy(np.int64),
                     seq_trailer=data.seq_trailer, seq_pos=data.seq_pos,
                     seq_big=seq["big"].astype(np.float32), seq_small=seq["small"].astype(np.float32),
                     trailer_big=trailer_means(data.seq_trailer, seq["big"], len(t)),
                     trailer_small=trailer_means(data.seq_trailer, seq["small"], len(t)))
    return path


def load_item_vectors(cfg: Profile, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, vectors) of a trailer-embedding variant such as 'emb512_s10' or 'emb512_s10_leakfree'."""
    m = re.fullmatch(r"emb(\d+)_s(\d+)(?:_(leakfree))?", variant)
    if not m:
        raise ValueError(f"unknown embedding variant {variant!r}; valid: {variant_names(cfg)} "
                         f"and {variant_names(cfg, 'leakfree')}")
    dim, seq_len, model = int(m.group(1)), int(m.group(2)), m.group(3) or "paper"
    path = embeddings_path(cfg, seq_len, model)
    if not path.is_file():
        raise DataError(f"{path} is missing: run notebook 04_extract_embeddings for profile {cfg.name!r}")
    z = np.load(path)
    key = "trailer_big" if dim == cfg.embedding_sizes[0] else "trailer_small"
    if z[key].shape[1] != dim:
        raise DataError(f"{path}: {key} has {z[key].shape[1]} dimensions, variant {variant} expects {dim}")
    # Movies that share a YouTube id share its trailer embedding.
    status = pd.read_parquet(cfg.run_dir / "data" / "keyframe_status.parquet").query("status == 'ok'")
    row_of = pd.Series(np.arange(len(z["youtube_id"])), index=z["youtube_id"])
    status = status[status.youtube_id.isin(row_of.index)].sort_values("movieId")
    return status.movieId.to_numpy(np.int64), z[key][row_of[status.youtube_id].to_numpy()]


def select_titles(movies: pd.DataFrame, patterns) -> pd.DataFrame:
    """Movies whose title matches any regex in `patterns` (case-insensitive), in title order."""
    mask = np.zeros(len(movies), bool)
    for p in patterns:
        mask |= movies.title.str.contains(p, case=False, regex=True).to_numpy()
    return movies[mask].sort_values("title")


def pca_figure(seq_emb: np.ndarray, data: SequenceData, movies: pd.DataFrame, patterns, references,
               title: str):
    """PCA (2 components, fitted on all sequence embeddings) of a group of movies' sequences.

    One colour per trailer; dots are sequences joined in trailer order. Returns
    (figure, explained variance ratio of PC1 and PC2, number of trailers drawn).
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    pca = PCA(n_components=2, random_state=0).fit(seq_emb)
    chosen = pd.concat([select_titles(movies, patterns), select_titles(movies, references)])
    chosen = chosen.drop_duplicates("movieId")
    tr = data.trailers.reset_index().merge(chosen[["movieId", "title"]], on="movieId")
    fig, ax = plt.subplots(figsize=(7, 6))
    palette = plt.get_cmap("tab10")
    drawn = 0
    for k, row in enumerate(tr.itertuples()):
        idx = np.flatnonzero(data.seq_trailer == row.index)
        if len(idx) == 0:
            continue  # shorter than one sequence of this length
        drawn += 1
        xy = pca.transform(seq_emb[idx[np.argsort(data.seq_pos[idx])]])
        ax.plot(xy[:, 0], xy[:, 1], "-o", ms=3, lw=0.8, color=palette(k % 10), label=row.title)
    var = pca.explained_variance_ratio_
    ax.set(xlabel=f"PC1 ({var[0]:.1%} of variance)", ylabel=f"PC2 ({var[1]:.1%} of variance)", title=title)
    if drawn:
        ax.legend(fontsize=7, loc="best")
    return fig, var, drawn
