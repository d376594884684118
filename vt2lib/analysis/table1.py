"""Assemble paper Table 1 from the stored per-fold predictions of registered methods.

    table = table1(cfg, table1_methods(cfg))   # Description, Sequence length, Recommender type, RMSE/MAE stats
    pairs = table1_comparisons(cfg, rmse)       # the paired tests of notebook 06
"""
from __future__ import annotations

import pandas as pd

from vt2lib.config import Profile
from vt2lib.rating.evaluation import fold_metrics, load_predictions, summary_row
from vt2lib.rating.methods import Method


def per_fold_table(cfg: Profile, methods) -> dict[str, pd.DataFrame]:
    """Per-fold RMSE/MAE of each method (Method objects or names)."""
    names = [m.name if isinstance(m, Method) else m for m in methods]
    return {m: fold_metrics(load_predictions(cfg, m)) for m in names}


def table1(cfg: Profile, methods: list[Method]) -> pd.DataFrame:
    """One row per method, described by the registry."""
    per_fold = per_fold_table(cfg, methods)
    rows = [{"method": m.name, "Description": m.description, "Sequence length": m.sequence,
             "Recommender type": m.kind, **summary_row(per_fold[m.name], cfg.n_folds)} for m in methods]
    return pd.DataFrame(rows).set_index("method")


def table1_comparisons(cfg: Profile, rmse: dict[str, pd.Series]) -> dict[str, tuple[str, str]]:
    """Notebook 06's paired tests, name -> (method a, method b): FM vs metadata; with trailers, 256 vs
    512 dimensions per S, S vs the next S per width, FM vs the paper's main row, that row vs the
    user mean, the leak (paper vs leak-free model), and frozen_mean vs the best leak-free row
    (picked on these folds' median RMSE: that favours the trained network). `rmse`: per-fold
    RMSE by method name."""
    from vt2lib.rating import methods as M
    emb = {(m.vectors.dim, m.vectors.seq_len): m.name for m in M.content_methods(cfg)}
    leak = {(m.vectors.dim, m.vectors.seq_len): m.name for m in M.content_methods(cfg, "leakfree")}
    out = {"FM vs metadata": ("fm", "metadata")}
    if not emb:  # a ratings-only profile
        return out
    (small, big), S = sorted(cfg.embedding_sizes), cfg.sequence_lengths
    main = emb[big, S[0]]
    out |= {f"{small} vs {big}, S={s}": (emb[small, s], emb[big, s]) for s in S}
    out |= {f"S={a} vs S={b}, {d}-d": (emb[d, a], emb[d, b]) for a, b in zip(S, S[1:]) for d in (small, big)}
    out |= {f"FM vs {main}": ("fm", main), f"{main} vs user mean": (main, "user_mean"),
            f"leak: {main} vs its leak-free model": (main, leak[big, S[0]])}
    best = min(leak.values(), key=lambda m: rmse[m].median())
    return out | {f"{m.name} vs best trained ({best})": (m.name, best) for m in M.frozen_mean_methods(cfg)}
