"""Plotting helpers for the paper's figures (matplotlib + seaborn, one style for all).

    fig = duration_histogram(trailers.duration_s)   # Fig 5
    fig = rating_histogram(ratings.rating)           # Fig 6
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

# Fig 5's bins: each label counts the trailers between the previous edge and this one.
DURATION_EDGES_MIN = (0, 1, 2, 3, 4, 5, 10, np.inf)
DURATION_LABELS = ("<1min", "<2min", "<3min", "<4min", "<5min", "<10min", ">10min")


def set_style() -> None:
    sns.set_theme(style="whitegrid", context="notebook")


def duration_histogram(duration_s: pd.Series, title: str = "Trailer durations (Fig. 5)"):
    minutes = pd.to_numeric(duration_s, errors="coerce").dropna() / 60.0
    counts = pd.cut(minutes, DURATION_EDGES_MIN, labels=DURATION_LABELS, right=False).value_counts(sort=False)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(counts.index.astype(str), counts.to_numpy(), color=sns.color_palette()[0])
    for x, c in enumerate(counts.to_numpy()):
        ax.annotate(f"{c:,}", (x, c), ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="duration", ylabel="number of trailers", title=title)
    return fig


def rating_histogram(rating: pd.Series, title: str = "Ratings (Fig. 6)"):
    values = np.arange(0.5, 5.01, 0.5)
    counts = pd.Series(rating).value_counts().reindex(values, fill_value=0)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar([f"{v:.1f}" for v in values], counts.to_numpy(), color=sns.color_palette()[1])
    ax.set(xlabel="rating", ylabel="number of ratings", title=title)
    return fig


def training_curves(history: pd.DataFrame, title: str):
    """Loss and per-head metrics per epoch, train (solid) vs validation (dashed)."""
    panels = [("loss", "total loss"), ("genre_auc", "genre AUC"), ("trailer_id_top1", "trailer id top-1"),
              ("trailer_id_top5", "trailer id top-5"), ("rating_rmse", "mean-rating RMSE")]
    panels = [p for p in panels if p[0] in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3), squeeze=False)
    for ax, (col, label) in zip(axes[0], panels):
        ax.plot(history.epoch, history[col], "-o", ms=3, label="train")
        if f"val_{col}" in history:
            ax.plot(history.epoch, history[f"val_{col}"], "--o", ms=3, label="validation")
        ax.set(xlabel="epoch", title=label)
    axes[0][-1].legend(fontsize=8)  # the last panel's bars are lower (new movies among all): room for it
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_LABELS = {"popularity": "popularity", "bias": "item bias", "fm_ids": "FM, ids", "content_metadata": "Eq. 1, genres",
           "content_frozen_mean": "Eq. 1, frozen features", "content_genome": "Eq. 1, tag genome", "ease": "EASE",
           "als": "ALS", "als_map_metadata": "ALS map, genres", "als_map_frozen_mean": "ALS map, frozen features",
           "als_map_genome": "ALS map, tag genome"}


def method_label(name: str) -> str:
    """A ranked method's name as a reader reads it: content_emb256_s10_leakfree -> "Eq. 1, 256-d
    trailer embedding, S=10 (leak-free)"; fm_genres_trailer -> "FM + genres + trailer".

    >>> method_label("content_emb256_s10_leakfree"), method_label("fm_genres_trailer"), method_label("x_y")
    ('Eq. 1, 256-d trailer embedding, S=10 (leak-free)', 'FM + genres + trailer', 'x_y')
    """
    import re
    if name in _LABELS:
        return _LABELS[name]
    emb = re.fullmatch(r"(content|als_map)_emb(\d+)_s(\d+)(_leakfree)?", name)
    if emb:
        return (("Eq. 1" if emb[1] == "content" else "ALS map") + f", {emb[2]}-d trailer embedding, S={emb[3]}"
                + (" (leak-free)" if emb[4] else ""))
    if name.startswith("fm_"):
        return "FM + " + " + ".join(name[3:].split("_"))
    return name


def ranking_bars(table: pd.DataFrame, metrics=("recall@10", "recall@20", "ndcg@10"), title: str = ""):
    """One panel per setting, stacked: each method's mean metric over folds, with its sd over
    folds, as horizontal bars (the method names read across, however long; the first on top).

    table: vt2lib.ranking.tables.ranking_table (index setting x method)."""
    settings = list(dict.fromkeys(table.index.get_level_values("setting")))
    rows = [len(table.loc[s]) for s in settings]
    fig, axes = plt.subplots(len(settings), 1, figsize=(9, 1.2 + 0.32 * sum(rows) + 0.6 * len(settings)),
                             squeeze=False, gridspec_kw={"height_ratios": rows})
    height = 0.8 / len(metrics)
    for ax, setting in zip(axes[:, 0], settings):  # own scales: among new movies the metrics run higher
        part = table.loc[setting]
        y = np.arange(len(part))
        for j, m in enumerate(metrics):
            ax.barh(y + (j - (len(metrics) - 1) / 2) * height, part[f"{m} (mean)"], height,
                    xerr=part[f"{m} (sd)"].fillna(0), capsize=2, label=m)
        for k, method in enumerate(part.index):  # an empty row says why: nothing of it reached a top-N
            if all(part.loc[method, f"{m} (mean)"] == 0 for m in metrics):
                ax.text(0, k, " 0", ha="left", va="center", fontsize=8, color="0.3")
        ax.set_yticks(y, [method_label(n) for n in part.index], fontsize=8)
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set(title=setting)
    axes[-1, 0].set_xlabel("mean over folds")
    axes[0, 0].legend(fontsize=8, loc="best")  # where the bars leave room
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def keyframes_per_trailer(n_keyframes: pd.Series):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(n_keyframes, bins=30)
    ax.set(xlabel="keyframes per trailer (= seconds)", ylabel="trailers", title="Keyframes per trailer")
    return fig


def keyframe_strip(frames: dict[str, np.ndarray], every: int = 4, per_row: int = 8):
    """One row per trailer (youtube id -> its keyframes): every `every`-th keyframe, `per_row` of them."""
    fig, axes = plt.subplots(len(frames), per_row, figsize=(12, 1.6 * len(frames)), squeeze=False)
    for ax_row, (name, keyframes) in zip(axes, frames.items()):
        for ax in ax_row:
            ax.axis("off")
        for ax, f in zip(ax_row, keyframes[::every]):
            ax.imshow(f)
        ax_row[0].set_title(name, fontsize=8, loc="left")
    return fig


def cold_start_lines(per_fold: dict[str, list[pd.Series]], settings: list[str], title: str, dashed=()):
    """RMSE from the fully cold setting to warm: one line per family, the median over folds with
    the 10th-90th percentile band. per_fold: label -> per-fold RMSE in each of `settings`, the
    last being "warm" (drawn apart: it is not one more rating count); `dashed`: labels drawn
    dashed (the leaky ones). Families are nudged sideways so that equal lines stay apart."""
    from matplotlib.patches import Patch
    n = len(settings) - (settings[-1] == "warm")
    x = np.r_[np.arange(n), [n + 0.6] * (len(settings) - n)]
    fig, ax = plt.subplots(figsize=(10.5, 4.8))
    offsets = np.linspace(-0.12, 0.12, len(per_fold))
    for k, (name, per) in enumerate(per_fold.items()):
        colour = plt.get_cmap("tab10")(k % 10)
        xs = x + offsets[k]
        med = np.array([p.median() for p in per])
        style = dict(color=colour, ms=4, lw=2.2 if name in dashed else 1.4)
        ax.plot(xs[:n], med[:n], "--o" if name in dashed else "-o", label=name, **style)
        ax.plot(xs[n:], med[n:], "D", color=colour, ms=5)
        ax.fill_between(xs[:n], [p.quantile(0.1) for p in per[:n]], [p.quantile(0.9) for p in per[:n]], color=colour,
                        alpha=0.08)
        ax.errorbar(xs[n:], med[n:], yerr=[med[n:] - [p.quantile(0.1) for p in per[n:]],
                                           [p.quantile(0.9) for p in per[n:]] - med[n:]], color=colour, lw=1)
    if n < len(settings):
        ax.axvline(n - 0.2, color="0.6", lw=0.8, ls=":")
    ax.set_xticks(x, settings)
    ax.set(xlabel="training ratings of the test movie (warm: all of them, apart)", ylabel="RMSE", title=title)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(color="0.5", alpha=0.25, label="10th-90th percentile over folds (band, bars)"))
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: no line hidden
    fig.tight_layout()
    return fig
