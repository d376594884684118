"""The one place that decides where figures, tables and recorded numbers go.

    save_figure(cfg, fig, "fig05_trailer_durations")   # figures/<profile>/fig05_....png + .pdf
    save_table(cfg, df, "tab02_dataset_statistics")    # figures/<profile>/tab02_....csv + .md
    record(cfg, "n_movies_filtered", 13571)             # runs/<profile>/metrics.json
    load_metrics(cfg)                                   # what the notebooks recorded (tests read it)
    synthetic_note(cfg, "the differences between methods")   # a caveat shown on synthetic profiles only

>>> print(to_markdown(pd.DataFrame({"RMSE": [0.76081], "folds": [10.0]}, index=["fm"])), end="")
|  | RMSE | folds |
|---|---|---|
| fm | 0.7608 | 10 |

Names start with the paper item they reproduce (figNN_ / tabNN_); items beyond the paper
use `extra_`. Numbers recorded here are the ones the tests and the report read back.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.io import atomic_path, read_json, update_json, write_text_atomic

_NAME = re.compile(r"^(fig\d\d|tab\d\d|extra)_[a-z0-9_]+$")


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"output name {name!r} must look like fig05_..., tab02_... or extra_... "
                         "(lower case, digits, underscores)")


def save_figure(cfg: Profile, fig, name: str) -> list[Path]:
    """Save a matplotlib figure in the profile's `figure_formats`: PNG (for reading) and PDF (for
    papers) by default; show the PNG where it is made (in a notebook: JupyterLab and papermill runs
    alike, which draw on Agg and show nothing themselves), then close the figure so that a long
    notebook does not pile them up. No formats: nothing is drawn or saved (a sweep of reruns that
    reads numbers only: drawing is a quarter of a rerun that reuses everything)."""
    import matplotlib.pyplot as plt
    _check_name(name)
    paths = []
    if cfg.figure_formats:
        # bbox_inches="tight" lays out and measures the figure again for every file it writes: done once
        # here, the PNG and the PDF share the box and the layout (each file then draws once)
        fig.draw_without_rendering()
        box = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
        fig.set_layout_engine("none")
        for ext in cfg.figure_formats:
            path = cfg.figures_dir / f"{name}.{ext}"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=ext, dpi=150, bbox_inches=box)
            paths.append(path)
        if "png" in cfg.figure_formats:
            show_in_notebook(cfg.figures_dir / f"{name}.png", name)
    plt.close(fig)
    return paths


def show_in_notebook(png: Path, name: str) -> bool:
    """Display a saved PNG as the cell's output when running in a Jupyter kernel; the output's
    metadata names the figure (tests/test_notebooks.py counts them). False outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    from IPython.display import Image, display
    display(Image(data=png.read_bytes(), format="png"), metadata={"vt2_figure": name})
    return True


def readable(df: pd.DataFrame, digits: int = 4):
    """The frame as a notebook shows it best: counts with thousands separators, other numbers to
    `digits` significant digits, never pandas' scientific notation for mixed magnitudes (Table 2)."""
    def fmt(v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            return "" if v is None or v is pd.NA else str(v)
        if math.isnan(v):
            return ""
        return f"{v:,.0f}" if float(v).is_integer() and abs(v) >= 1 else f"{v:.{digits}g}"
    return df.style.format(fmt)


def to_markdown(df: pd.DataFrame, floatfmt: str = ".4f") -> str:
    """A GitHub-flavoured Markdown table (no extra dependency); columns of whole numbers print as integers."""
    def whole(col) -> bool:  # an integer column (counts: 0s and 1s too), or floats that are all whole and not 0/1
        if pd.api.types.is_integer_dtype(df[col].dtype):  # bool is not an integer dtype to pandas
            return True
        v = pd.to_numeric(df[col], errors="coerce").dropna()
        return df[col].dtype != bool and len(v) == df[col].notna().sum() > 0 and bool((v == v.round()).all()) \
            and bool((v.abs() >= 2).any())

    def fmt(v, as_int):
        if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool):
            if as_int or (float(v).is_integer() and abs(v) >= 10):
                return f"{int(v):,}"
            return format(float(v), floatfmt)
        return str(v)
    ints = [whole(c) for c in df.columns]
    index_name = df.index.name or ""
    header = [index_name] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [fmt(v, k) for v, k in zip(row, ints)]) + " |")
    return "\n".join(lines) + "\n"


TABLE_FORMATS = ("csv", "md")


def save_table(cfg: Profile, df: pd.DataFrame, name: str, floatfmt: str = ".4f") -> list[Path]:
    """Save a table as CSV (machine-readable) and Markdown (for the README/report): TABLE_FORMATS."""
    _check_name(name)
    csv, md = (cfg.figures_dir / f"{name}.{ext}" for ext in TABLE_FORMATS)
    with atomic_path(csv) as tmp:
        df.to_csv(tmp)
    write_text_atomic(md, to_markdown(df, floatfmt))
    return [csv, md]


def is_synthetic(cfg: Profile) -> bool:
    return cfg.ratings_source == "synthetic" or cfg.trailer_source == "synthetic"


def synthetic_note(cfg: Profile, what: str):
    """On synthetic data, one sentence next to the numbers: they describe the generator, not movies.

    Returns a displayable Markdown object, or None (nothing shown) on real data."""
    if not is_synthetic(cfg):
        return None
    from IPython.display import Markdown
    return Markdown(f"**Synthetic data (profile `{cfg.name}`):** {what} are properties of the data generator "
                    "(`vt2lib.data.synthetic`), not findings about movies; only real data (`ml20m`) tests the paper's claims.")


def metrics_path(cfg: Profile) -> Path:
    return cfg.run_dir / "metrics.json"


def load_metrics(cfg: Profile) -> dict:
    return read_json(metrics_path(cfg))


def record(cfg: Profile, name: str, value) -> None:
    """Record a key number of the run (like Recommenders' store_metadata). Declare each name in
    vt2lib/analysis/outputs.py: the report and figures/README.md list it from there, and the
    smoke test fails on a recorded number that is not declared."""
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        value = None  # JSON has no NaN; the report prints "n/a"
    update_json(metrics_path(cfg), name, value)


def record_many(cfg: Profile, values: dict) -> None:
    for k, v in values.items():
        record(cfg, k, v)
