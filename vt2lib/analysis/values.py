"""A number as the report and the notebooks' summaries show it, and the published value it stands beside.

>>> format_number(16_770_000), format_number(0.76081), format_number(None)
('16,770,000', '0.7608', 'n/a')
>>> m = {"rmse_median_user_mean": 0.8279, "mae_median_user_mean": 0.6552, "rmse_median_emb": 0.82791,
...      "mae_median_emb": 0.6552}
>>> scores_as_user_mean(m, "emb"), scores_as_user_mean(m, "user_mean")
(True, False)
"""
from __future__ import annotations

import math

from vt2lib.paper import published_counts, published_table


def published_value(ref):
    """The published number a Number refers to: a paper/counts.csv name or (table, row, column)."""
    if ref is None:
        return None
    if isinstance(ref, str):
        return published_counts().get(ref)
    table, row, col = ref
    return published_table(table).loc[row, col]


def format_number(v) -> str:
    """A number as the report and the notebooks' summaries print it: n/a, 1,234 or 4 significant digits."""
    if v is None:
        return "n/a"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{int(f):,}" if f.is_integer() and abs(f) >= 100 else f"{f:.4g}"


def scores_as_user_mean(m: dict, method: str) -> bool:
    """Whether a method's median RMSE and MAE are the user mean's, to 5e-5 relative (not a better or worse
    row: Eq. 1 gave back the user's mean rating; 05's summary says why)."""
    pairs = [(m.get(f"{k}_median_{method}"), m.get(f"{k}_median_user_mean")) for k in ("rmse", "mae")]
    return method != "user_mean" and all(
        a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 5e-5 * abs(b)
        for a, b in pairs)
