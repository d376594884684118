"""How good is a trained embedding network? Validation numbers per head, and genre AUC on unseen trailers.

    quality = evaluate_heads(model, data, val_idx, cfg.heads)   # genre_auc, id_top1/top5, rating_rmse
    unseen = genre_auc_unseen_trailers(cfg, data)   # trains the store's model/s10_genre_unseen
"""
from __future__ import annotations

import numpy as np

from vt2lib.config import Profile
from vt2lib.embedding.training import SequenceData, TrainResult, train_model


def evaluate_heads(model, data: SequenceData, idx: np.ndarray, heads, batch_size: int = 256) -> dict:
    """Validation numbers of the restored model: genre AUC, trailer-id top-1/top-5, rating RMSE."""
    from sklearn.metrics import roc_auc_score
    if len(idx) == 0:
        return {}
    preds = model.predict(data.windows(idx), batch_size=batch_size, verbose=0)
    y, w = data.targets(idx, heads)
    out = {}
    if "rating" in heads:
        out["rating_rmse"] = float(np.sqrt(np.mean((preds["rating"] - y["rating"]) ** 2)))
    if "genre" in heads:
        keep = w["genre"] > 0
        yt, yp = y["genre"][keep], preds["genre"][keep]
        labels = (yt.sum(0) > 0) & (yt.sum(0) < len(yt))
        out["genre_auc"] = float(roc_auc_score(yt[:, labels], yp[:, labels], average="macro")) if labels.any() else np.nan
    if "trailer_id" in heads:
        p = preds["trailer_id"]
        top5 = np.argsort(-p, axis=1)[:, :5]
        out["id_top1"] = float(np.mean(top5[:, 0] == y["trailer_id"]))
        out["id_top5"] = float(np.mean((top5 == y["trailer_id"][:, None]).any(1)))
        out["id_chance_top5"] = min(1.0, 5 / data.n_trailers)
    return out


def unseen_trailer_split(n_trailers: int, share: float, seed: int) -> np.ndarray:
    """Boolean mask of the trailers held out of the genre diagnostic model (deterministic)."""
    held = np.zeros(n_trailers, bool)
    n = max(1, int(round(share * n_trailers))) if n_trailers > 1 else 0
    held[np.random.default_rng([seed, 7]).choice(n_trailers, n, replace=False)] = True
    return held


def genre_auc_unseen_trailers(cfg: Profile, data: SequenceData, trained: TrainResult | None = None,
                              progress: bool = False) -> dict:
    """Genre AUC on trailers the model never saw.

    A genre-only diagnostic model is trained on the other trailers and scored on every window
    of the held-out ones. Its early stopping watches a second, trailer-disjoint share of the
    seen trailers: validation tails of training trailers (as in the main models) would reward
    memorising trailers, which is exactly what this check must not. Returns {"genre_auc",
    "n_unseen_trailers", "n_unseen_windows"}. `trained`: the diagnostic model, if trained already
    (side_by_side.train_networks trains it with the others)."""
    seen, split, unseen = unseen_trailer_inputs(cfg, data)
    result = trained or train_model(cfg, seen, split, "genre_unseen", progress)
    quality = evaluate_heads(result.model, unseen, np.arange(len(unseen.seq_offset)), ("genre",))
    return {"genre_auc": quality.get("genre_auc", np.nan), "n_unseen_trailers": unseen.n_trailers,
            "n_unseen_windows": int(len(unseen.seq_offset))}


def unseen_trailer_inputs(cfg: Profile, data: SequenceData) -> tuple[SequenceData, tuple, SequenceData]:
    """The genre diagnostic's training data (the seen trailers), its (train, early-stopping) split
    of window indices, and the unseen trailers it is scored on."""
    held = unseen_trailer_split(data.n_trailers, cfg.unseen_trailer_share, cfg.seed)
    seen, unseen = data.restrict(~held), data.restrict(held)
    stop_on = unseen_trailer_split(seen.n_trailers, cfg.unseen_trailer_share, cfg.seed + 1)[seen.seq_trailer]
    return seen, (np.flatnonzero(~stop_on), np.flatnonzero(stop_on)), unseen
