"""Sequence and trailer embeddings (paper 2.3, 3.4) and the PCA figures (Figs 9-11).

    seq = embeddings_for(cfg, data, "leakfree")    # {"big": (n_seq, 512), "small": (n_seq, 256)}; stored
    fig, var, n = pca_figure(seq["small"], data, movies, patterns, references, title)

Notebook 04 runs each trained model of 03 over every sequence and stores the result as the
artifact embeddings/s{S}[_leakfree] (sequence embeddings and the trailer embeddings, the
mean of a trailer's sequence embeddings); a rerun under the same key loads it. Movies that
share a YouTube id share the trailer embedding. The content-based methods read them
through vt2lib.rating.item_vectors.

>>> trailer_means(np.array([0, 0, 1]), np.array([[1.0], [3.0], [5.0]]), 2).ravel().tolist()
[2.0, 5.0]
>>> pca_group_label("fig10_pca_lord_of_the_rings")
'Lord of the Rings'
>>> keyframe_means(np.array([[1.0], [3.0], [5.0]]), np.array([0, 2]), np.array([2, 1])).ravel().tolist()
[2.0, 5.0]

It also stores the artifact embeddings/frozen_mean (`frozen_means`): per trailer, the mean of
its frozen MobileNetV2 keyframe features, the item vectors of the `frozen_mean` baseline
(vt2lib.rating.frozen_mean) that asks what the trained network adds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.data.titles import select_titles
from vt2lib.embedding.training import SequenceData, load_trained_model
from vt2lib.io import write_npz_atomic
from vt2lib.store import EMBEDDINGS_FILE, FROZEN_MEANS_FILE, Store, embeddings_artifact


# Figs 9-11: the paper's group of each PCA figure (a group a user adds is titled by its output name)
PCA_GROUP_TITLES = {"fig09_pca_harry_potter": "Harry Potter", "fig10_pca_lord_of_the_rings": "Lord of the Rings",
                    "fig11_pca_star_wars": "Star Wars"}


def sequence_embeddings(embed_model, data: SequenceData, batch_size: int = 256, desc: str | None = None
                        ) -> dict[str, np.ndarray]:
    """Both embeddings of every window, `batch_size` at a time; a progress bar when `desc` is given
    (at ML20M's size each network takes minutes)."""
    from vt2lib.progress import tqdm
    big, small = [], []
    n = len(data.seq_offset)
    for start in tqdm(range(0, n, batch_size), desc=desc, unit="batch", disable=desc is None):
        idx = np.arange(start, min(start + batch_size, n))
        b, s = embed_model.predict_on_batch(data.windows(idx))
        big.append(np.asarray(b))
        small.append(np.asarray(s))
    return {"big": np.concatenate(big), "small": np.concatenate(small)}


def trailer_means(seq_trailer: np.ndarray, emb: np.ndarray, n_trailers: int) -> np.ndarray:
    """(n_trailers, dim) mean over each trailer's sequences (vectorised: a sparse sum in float64,
    in sequence order; np.add.at took minutes on the scale rehearsal's 500k sequences)."""
    import scipy.sparse as sp
    n = len(seq_trailer)
    member = sp.csr_matrix((np.ones(n), (seq_trailer, np.arange(n))), shape=(n_trailers, n))
    sums = member @ np.asarray(emb, np.float64)
    counts = np.bincount(seq_trailer, minlength=n_trailers)[:, None]
    return (sums / np.maximum(counts, 1)).astype(np.float32)


def keyframe_means(features: np.ndarray, offset: np.ndarray, n_keyframes: np.ndarray,
                   block: int = 512) -> np.ndarray:
    """(n_trailers, dim) float32: the mean of rows offset[t]:offset[t] + n_keyframes[t] of `features`
    (contiguous, increasing, every count > 0: the feature cache's layout), `block` trailers at a
    time, so a memory-mapped float16 cache is read once and never held whole."""
    if (np.asarray(n_keyframes) <= 0).any():
        raise ValueError("keyframe_means: a trailer without keyframes")
    out = np.empty((len(offset), features.shape[1]), np.float32)
    for start in range(0, len(offset), block):
        off, n = offset[start:start + block], n_keyframes[start:start + block]
        rows = np.asarray(features[off[0]: off[-1] + n[-1]], np.float32)
        out[start:start + len(off)] = np.add.reduceat(rows, off - off[0], axis=0) / n[:, None]
    return out


def frozen_means(cfg: Profile) -> dict[str, np.ndarray]:
    """Each trailer's mean keyframe feature (the frozen backbone's, no training): stored once per
    features key. {"youtube_id": (n,), "mean": (n, feature_dim)}."""
    from vt2lib.video.features import load_features
    with Store(cfg).produce("frozen_means") as art:
        path = art.path / FROZEN_MEANS_FILE
        if not art.reused:
            cache = load_features(cfg)
            ix = cache.index
            write_npz_atomic(path, youtube_id=ix.youtube_id.to_numpy(str),
                             mean=keyframe_means(cache.features, ix.offset.to_numpy(), ix.n_keyframes.to_numpy()))
        z = np.load(path)
        return {"youtube_id": z["youtube_id"], "mean": z["mean"]}


def embeddings_for(cfg: Profile, data: SequenceData, model: str = "paper") -> dict[str, np.ndarray]:
    """The sequence embeddings of 03's `model` at data.seq_len: computed and stored once per key."""
    from vt2lib.embedding.model import embedding_model_of
    with Store(cfg).produce(embeddings_artifact(data.seq_len, model)) as art:
        path = art.path / EMBEDDINGS_FILE
        if art.reused:
            z = np.load(path)
            return {"big": z["seq_big"], "small": z["seq_small"]}
        seq = sequence_embeddings(embedding_model_of(load_trained_model(cfg, data.seq_len, model)), data,
                                  desc=embeddings_artifact(data.seq_len, model))
        t = data.trailers
        write_npz_atomic(path, youtube_id=t.youtube_id.to_numpy(str), movie_id=t.movieId.to_numpy(np.int64),
                         seq_trailer=data.seq_trailer, seq_pos=data.seq_pos,
                         seq_big=seq["big"].astype(np.float32), seq_small=seq["small"].astype(np.float32),
                         trailer_big=trailer_means(data.seq_trailer, seq["big"], len(t)),
                         trailer_small=trailer_means(data.seq_trailer, seq["small"], len(t)))
        return seq


def pca_group_label(name: str) -> str:
    """A PCA figure's group, for its title: the paper's for Figs 9-11, else the output name itself."""
    return PCA_GROUP_TITLES.get(name, name)


REFERENCE_COLOURS = ("0.15", "0.55", "0.35", "0.7")  # greys: never a group colour (tab10)


def pca_figure(seq_emb: np.ndarray, data: SequenceData, movies: pd.DataFrame, patterns, references,
               title: str):
    """PCA (2 components, fitted on all sequence embeddings) of a group of movies' sequences.

    One colour per trailer; dots are sequences joined in trailer order. Returns
    (figure, explained variance ratio of PC1 and PC2, number of trailers drawn).
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    pca = PCA(n_components=2, random_state=0).fit(seq_emb)
    group = select_titles(movies, patterns)
    # the references keep one colour (greys, dashed) in every figure, so Figs 9-11 read alike;
    # the group's trailers take the palette
    reference_colour = {}
    for j, pattern in enumerate(references):
        for movie_id in select_titles(movies, [pattern]).movieId:
            reference_colour.setdefault(movie_id, REFERENCE_COLOURS[j % len(REFERENCE_COLOURS)])
    group_ids = set(group.movieId)
    chosen = pd.concat([group, movies[movies.movieId.isin(reference_colour)]]).drop_duplicates("movieId")
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
        is_reference = row.movieId in reference_colour and row.movieId not in group_ids
        ax.plot(xy[:, 0], xy[:, 1], "--o" if is_reference else "-o", ms=3, lw=0.8,
                color=reference_colour[row.movieId] if is_reference else palette(k % 10),
                label=f"{row.title} (reference)" if is_reference else row.title)
    var = pca.explained_variance_ratio_
    ax.set(xlabel=f"PC1 ({var[0]:.1%} of variance)", ylabel=f"PC2 ({var[1]:.1%} of variance)", title=title)
    if drawn:
        ax.legend(fontsize=7, loc="best")
    return fig, var, drawn
