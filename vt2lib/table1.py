"""Assemble paper Table 1 from the saved per-fold predictions.

    table = table1(cfg, methods, fm_label="libFM (Bayesian FM, jax)")   # Description, Sequence length, ...
"""
from __future__ import annotations

import re

import pandas as pd

from .config import Profile
from .evaluation import fold_metrics, load_predictions, summary_row

DESCRIPTIONS = {
    "fm": ("libFM (Bayesian FM)", "—", "collaborative"),
    "metadata": ("Movie meta data (genres)", "—", "content-based"),
    "genome": ("Movie meta data (tag genome)", "—", "content-based"),
    "random_similarity": ("Random similarities (authors' control)", "—", "content-based"),
    "global_mean": ("Global mean", "—", "baseline"),
    "user_mean": ("User mean", "—", "baseline"),
    "item_mean": ("Item mean", "—", "baseline"),
    "bias": ("User + item bias (regularised)", "—", "baseline"),
}


def describe(method: str) -> tuple[str, str, str]:
    m = re.fullmatch(r"emb(\d+)_s(\d+)(_leakfree)?", method)
    if m:
        model = ", leak-free model (no rating head)" if m.group(3) else ""
        return f"{m.group(1)}-dim. embeddings{model}", f"{m.group(2)} frames", "content-based"
    return DESCRIPTIONS.get(method, (method, "—", "?"))


def per_fold_table(cfg: Profile, methods) -> dict[str, pd.DataFrame]:
    return {m: fold_metrics(load_predictions(cfg, m)) for m in methods}


def table1(cfg: Profile, methods, fm_label: str | None = None) -> pd.DataFrame:
    """One row per method; `fm_label` names the FM row with the backend that produced it."""
    rows = []
    for m, f in per_fold_table(cfg, methods).items():
        desc, seq, kind = describe(m)
        if m == "fm" and fm_label:
            desc = fm_label
        rows.append({"method": m, "Description": desc, "Sequence length": seq, "Recommender type": kind,
                     **summary_row(f)})
    return pd.DataFrame(rows).set_index("method")
