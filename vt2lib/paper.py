"""The paper's published numbers (folder `paper/`), for published-vs-reproduced tables.

>>> float(published_table(1).loc["fm", "rmse_median"])
0.7608
>>> published_count("n_trailers_unavailable")
6511.0
>>> paper_settings()["image_size"]["value"]
224
"""
from __future__ import annotations

import pandas as pd

from vt2lib.config import PROJECT_ROOT

PAPER_DIR = PROJECT_ROOT / "paper"
_TABLES = {1: ("table1_rmse_mae.csv", "method"), 2: ("table2_dataset.csv", "statistic"),
           3: ("table3_correlation.csv", "regressors")}


def published_table(number: int) -> pd.DataFrame:
    name, index = _TABLES[number]
    return pd.read_csv(PAPER_DIR / name).set_index(index)


def published_counts() -> pd.Series:
    return pd.read_csv(PAPER_DIR / "counts.csv").set_index("name")["value"]


def published_count(name: str) -> float | str:
    value = published_counts()[name]
    try:
        return float(value)
    except ValueError:
        return value


def paper_settings() -> dict[str, dict]:
    """The paper's value of each result-changing profile field, with its source (paper/settings.toml)."""
    import tomllib
    return tomllib.loads((PAPER_DIR / "settings.toml").read_text())


def beside_published(reproduced: pd.DataFrame, published: pd.DataFrame, suffixes=("ours", "paper"),
                 pairs: dict[str, str] | None = None) -> pd.DataFrame:
    """Interleave the columns of two tables: col (ours), col (paper), ... `pairs` maps a column of
    ours to the published column it reproduces (default: the columns both tables have)."""
    pairs = pairs or {c: c for c in reproduced.columns if c in published.columns}
    out = pd.DataFrame(index=reproduced.index.union(published.index, sort=False))
    for ours, theirs in pairs.items():
        out[f"{ours} ({suffixes[0]})"] = reproduced[ours]
        out[f"{theirs} ({suffixes[1]})"] = published[theirs]
    return out
