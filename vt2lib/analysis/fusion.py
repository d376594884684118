"""Linear fusion of FM and content-based predictions (paper 3.3, Eq. 2, Figs 7-8).

    sweep = fusion_sweep(fm_preds, content_preds, ks)     # rmse/mae per (fold, k)
    bands = percentile_bands(sweep, "rmse")               # per k: mean, median, p0, p10, p90, p100
    fig = fusion_figure(bands, "RMSE")
    honest = honest_k_fusion(cfg, data, fm_preds, method)   # k chosen on inner validation, per fold
    models = fusion_models(cfg, cfg.variant("fusion_variant"))   # {"": paper's model, "_leakfree": leak-free}

>>> k_grid(0.25).tolist()
[0.0, 0.25, 0.5, 0.75, 1.0]

Eq. 2 as printed: r_new = k * r_FM + (1 - k) * r_content (the authors' script weighted the
content model with k and swept one fold only; we follow the paper's formula on every fold).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["userId", "movieId", "fold"]


def aligned(fm: pd.DataFrame, content: pd.DataFrame) -> pd.DataFrame:
    """One row per test rating with both predictions; refuses mismatched prediction sets."""
    m = fm.merge(content[KEYS + ["prediction"]], on=KEYS, suffixes=("_fm", "_content"), validate="one_to_one")
    if len(m) != len(fm) or len(m) != len(content):
        raise ValueError(f"FM ({len(fm)}) and content ({len(content)}) predictions cover different test ratings")
    return m


def k_grid(step: float) -> np.ndarray:
    return np.round(np.linspace(0.0, 1.0, int(round(1 / step)) + 1), 10)


def fused(m: pd.DataFrame, k) -> np.ndarray:
    return k * m.prediction_fm.to_numpy() + (1 - k) * m.prediction_content.to_numpy()


def fusion_sweep(fm: pd.DataFrame, content: pd.DataFrame, ks: np.ndarray) -> pd.DataFrame:
    """RMSE and MAE for every fold and every k (vectorised over ratings)."""
    m = aligned(fm, content)
    y = m.rating.to_numpy(np.float64)
    rows = []
    for fold, idx in m.groupby("fold").indices.items():
        a, b, t = m.prediction_fm.to_numpy()[idx], m.prediction_content.to_numpy()[idx], y[idx]
        err = ks[:, None] * a[None] + (1 - ks[:, None]) * b[None] - t[None]   # (n_k, n_fold_ratings)
        rows.append(pd.DataFrame({"fold": fold, "k": ks, "rmse": np.sqrt((err ** 2).mean(1)),
                                  "mae": np.abs(err).mean(1)}))
    return pd.concat(rows, ignore_index=True)


def percentile_bands(sweep: pd.DataFrame, metric: str) -> pd.DataFrame:
    g = sweep.groupby("k")[metric]
    return pd.DataFrame({"mean": g.mean(), "median": g.median(), "p0": g.min(), "p10": g.quantile(0.1),
                         "p90": g.quantile(0.9), "p100": g.max()})


def best_k_per_fold(sweep: pd.DataFrame, metric: str = "rmse") -> pd.Series:
    return sweep.loc[sweep.groupby("fold")[metric].idxmin()].set_index("fold").k


def fusion_figure(bands: pd.DataFrame, metric_label: str, title: str):
    """The paper's layout: mean (orange) and median (red) over folds, 10-90 (dark) and 0-100 (light) bands."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    k = bands.index.to_numpy()
    ax.fill_between(k, bands.p0, bands.p100, color="lightsteelblue", label="0th-100th percentile")
    ax.fill_between(k, bands.p10, bands.p90, color="royalblue", alpha=0.7, label="10th-90th percentile")
    ax.plot(k, bands["mean"], color="orange", label="mean")
    ax.plot(k, bands["median"], color="red", label="median")
    ax.set(xlabel="k  (r = k * r_FM + (1 - k) * r_content)", ylabel=metric_label, title=title)
    ax.legend(fontsize=8)
    return fig


def fusion_models(cfg, variant: str) -> dict[str, tuple[str, object]]:
    """The content models fused with the FM (07), by the suffix of their outputs and numbers:
    {suffix: (label, registered method)}. A trailer-embedding variant: the paper's model ("", its
    rating head saw the test folds: leaky) and the leak-free model ("_leakfree"); a metadata variant
    (genres, tag genome: no network, nothing learnt from ratings): itself alone ("")."""
    from vt2lib.rating import methods as M
    method = M.get(cfg, variant)
    if method.vectors is None or not method.vectors.leaky:
        return {"": (f"{variant}, no network", method)}
    return {"": ("paper's model, leaky", method), "_leakfree": ("leak-free model", M.model_variant(cfg, variant, "leakfree"))}


def honest_k_fusion(cfg, data, fm: pd.DataFrame, method) -> pd.DataFrame:
    """Fusion with k chosen without the test folds: each fold's training part is split again
    (`fusion_val_share`), the FM and `method` are fitted on the inner part, k is chosen on the
    inner validation part and then applied to the fold's test predictions (`fm`: 06's, and
    `method`'s own from 05). Per fold: the chosen k, the FM alone and the fused RMSE."""
    from vt2lib.rating import methods as M
    from vt2lib.rating.evaluation import fold_metrics, load_predictions
    from vt2lib.store import digest

    def inner(k):
        return data.inner_split(k, cfg.fusion_val_share, cfg.seed)
    inner_key = digest(cfg.seed, cfg.fusion_val_share)
    M.run(cfg, data, M.fm(cfg), name="fm_inner", split=inner, split_key=inner_key)
    M.run(cfg, data, method, name=f"{method.name}_inner", split=inner, split_key=inner_key)
    inner_sweep = fusion_sweep(load_predictions(cfg, "fm_inner"), load_predictions(cfg, f"{method.name}_inner"),
                               k_grid(cfg.fusion_k_step))
    chosen_k = best_k_per_fold(inner_sweep)
    test = aligned(fm, load_predictions(cfg, method.name))
    test["prediction"] = fused(test, test.fold.map(chosen_k).to_numpy())
    return pd.DataFrame({"k chosen on validation": chosen_k, "FM alone": fold_metrics(fm).rmse,
                         "fused (honest k)": fold_metrics(test).rmse})

