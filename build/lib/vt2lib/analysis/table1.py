"""Assemble paper Table 1 from the stored per-fold predictions of registered methods.

    table = table1(cfg, table1_methods(cfg))   # Description, Sequence length, Recommender type, RMSE/MAE stats
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
             "Recommender type": m.kind, **summary_row(per_fold[m.name])} for m in methods]
    return pd.DataFrame(rows).set_index("method")
