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


# The result-changing fields (paper/settings.toml) each notebook uses, in the order it uses them:
# every notebook opens with them beside the paper's values (`settings_beside_paper`).
NOTEBOOK_FIELDS = {
    "01_clean_dataset": ("ratings_source", "trailer_source", "max_trailer_seconds", "min_user_ratings"),
    "02_keyframes": ("trailer_source", "download_format", "keyframe_rule", "keyframe_every_n", "image_size",
                     "resize_mode", "backbone_weights", "backbone_alpha", "mixed_precision", "synth_direct_features"),
    "03_train_embedding": ("sequence_lengths", "sequence_shift", "backbone_weights", "lstm_units", "embedding_sizes",
                           "heads", "loss_weights", "learning_rate", "l2", "batch_size", "max_epochs", "patience",
                           "max_steps_per_epoch"),
    "04_extract_embeddings": ("sequence_lengths", "embedding_sizes", "backbone_weights"),
    "05_content_based": ("ratings_source", "n_folds", "fold_seed", "similarity", "top_k", "backbone_weights"),
    "06_libfm": ("ratings_source", "n_folds", "fold_seed", "fm_rank", "fm_iters", "fm_init_stdev", "fm_flavour"),
    "07_fusion": ("ratings_source", "n_folds", "fm_rank", "fm_iters", "fm_flavour", "backbone_weights"),
    "08_correlation": ("ratings_source", "trailer_source", "popularity_percentile_filter", "correlation_variant",
                       "analysis_embeddings", "backbone_weights"),
    "09_cold_start_and_side_features": ("ratings_source", "n_folds", "fm_rank", "fm_iters", "fm_flavour",
                                        "backbone_weights"),
    "10_ranking": ("ratings_source", "n_folds", "fm_rank", "fm_iters", "fm_flavour", "backbone_weights"),
}


# fields that only matter where there are trailers (not shown for trailer_source = "none")
TRAILER_FIELDS = {"download_format", "keyframe_rule", "keyframe_every_n", "image_size", "resize_mode",
                  "backbone_weights", "backbone_alpha", "mixed_precision", "synth_direct_features"}


def plain_value(v):
    """Profile and TOML values on one footing: tuples as lists, None as 'none'."""
    if isinstance(v, (tuple, list)):
        return [plain_value(x) for x in v]
    return "none" if v is None else v


def settings_beside_paper(cfg, notebook: str) -> pd.DataFrame:
    """The fields `notebook` uses: this profile's value beside the paper's, differences marked.

    >>> from vt2lib.profiles import load_profile
    >>> t = settings_beside_paper(load_profile("demo"), "06_libfm")
    >>> t.loc["fm_rank"].tolist()[:3]
    [8, 32, 'differs']
    """
    spec, resolved = paper_settings(), cfg.as_dict()
    fields = [f for f in NOTEBOOK_FIELDS[notebook] if cfg.trailer_source != "none" or f not in TRAILER_FIELDS]
    rows = {f: {"this profile": plain_value(resolved[f]), "paper": plain_value(spec[f]["value"])} for f in fields}
    out = pd.DataFrame(rows).T
    out["differs"] = ["differs" if r["this profile"] != r["paper"] else "" for r in rows.values()]
    out["paper's source"] = [spec[f]["source"] for f in rows]
    return out.rename_axis("field")


NOTE_PREFIX = "Note: "  # a caveat at a notebook's top
CAVEAT_PREFIX = "What these data can say: "  # the same caveat in its closing summary
ML20M_ONLY = "Whether the differences above hold on ML20M only the `ml20m` profile can answer."
CAVEAT_LINES = (NOTE_PREFIX, f"- {CAVEAT_PREFIX}", f"- {ML20M_ONLY}")  # how they start in the output


def caveats(cfg) -> list[str]:
    """What changes how every number of this run reads, for the top of each notebook."""
    from vt2lib.config import ML20M_FOLDER, movielens_folder
    out = []
    if cfg.ratings_source == "synthetic" or cfg.trailer_source == "synthetic":
        out.append("Synthetic data (vt2lib.data.synthetic): the numbers show that the code runs and how methods "
                   "rank on planted signal, not the paper's values.")
    elif movielens_folder(cfg).name != ML20M_FOLDER:
        out.append(f"Ratings from `{movielens_folder(cfg).name}`, not MovieLens 20M: counts and errors differ from "
                   "the paper's in value; compare methods with each other, not with the paper.")
    if cfg.evaluate_folds or cfg.max_steps_per_epoch:
        out.append("A rehearsal (`evaluate_folds` / `max_steps_per_epoch` set): its numbers measure time and "
                   "that every step runs, not accuracy.")
    from vt2lib.provenance import load_provenance
    weights = load_provenance(cfg).get("backbone_weights") or cfg.backbone_weights  # what 02 used, once it ran
    if cfg.trailer_source != "none" and str(weights).startswith("none"):  # 02 records "none, BatchNorm calibrated ..."
        out.append("MobileNetV2 with random weights (no ImageNet weights here): the trailer features carry no "
                   "learned image content, only what a random convolution keeps.")
    elif cfg.trailer_source != "none" and weights != "imagenet":
        out.append(f"MobileNetV2 with the weights of `{weights}`, not ImageNet's.")
    return out


def show_settings(cfg, notebook: str) -> pd.DataFrame:
    """A notebook's opening: the caveats that change how its numbers read, then the fields it
    uses beside the paper's values (returned, so the cell shows it as a table)."""
    for line in caveats(cfg):
        print(f"{NOTE_PREFIX}{line}")
    table = settings_beside_paper(cfg, notebook)
    n = int((table.differs != "").sum())
    print(f"Profile `{cfg.name}`: {n} of the {len(table)} settings this notebook uses differ from the paper's"
          + (" (marked \"differs\" in the table below, beside the paper's value)." if n else "."))
    return table
