"""How good is a trained embedding network? Validation numbers per head, and genre AUC on unseen trailers.

    quality = evaluate_heads(model, data, val_idx, cfg.heads)   # genre_auc, id_top1/top5, rating_rmse
    unseen = genre_auc_unseen_trailers(cfg, data)   # trains model/s10_genre_unseen0, ... (one per split)
"""
from __future__ import annotations

import numpy as np

from vt2lib.config import Profile, diagnostic_models
from vt2lib.embedding.training import SequenceData, TrainResult, train_model


EVALUATION_CHUNK = 4096  # windows predicted at once: ML20M's trailer-id head outputs 13.5k scores per window


def evaluate_heads(model, data: SequenceData, idx: np.ndarray, heads, batch_size: int = 256) -> dict:
    """Validation numbers of the restored model: genre AUC, trailer-id top-1/top-5, rating RMSE.

    Predicted in chunks, so memory holds at ML20M's size (75k validation windows x 13.5k
    trailer-id scores would be 4 GB, their full sort 8 GB more)."""
    if len(idx) == 0:
        return {}
    y, w = data.targets(idx, heads)
    squared, genre, top1, top5 = 0.0, [], 0, 0
    for start in range(0, len(idx), EVALUATION_CHUNK):
        part = slice(start, start + EVALUATION_CHUNK)
        preds = model.predict(data.windows(idx[part]), batch_size=batch_size, verbose=0)
        if "rating" in heads:
            squared += float(((preds["rating"] - y["rating"][part]) ** 2).sum())
        if "genre" in heads:
            genre.append(preds["genre"])
        if "trailer_id" in heads:
            p, truth = preds["trailer_id"], y["trailer_id"][part]
            # the true id is in the top 5 iff fewer than 5 ids score higher (ties: as a stable sort)
            above = (p > p[np.arange(len(p)), truth][:, None]).sum(1)
            top1, top5 = top1 + int((p.argmax(1) == truth).sum()), top5 + int((above < 5).sum())
    out = {}
    if "rating" in heads:
        out["rating_rmse"] = float(np.sqrt(squared / len(idx)))
    if "genre" in heads:
        out["genre_auc"] = genre_auc(y["genre"], w["genre"], np.concatenate(genre))
    if "trailer_id" in heads:
        out["id_top1"], out["id_top5"] = top1 / len(idx), top5 / len(idx)
        out["id_chance_top5"] = min(1.0, 5 / data.n_trailers)
    return out


def genre_auc(y: np.ndarray, weight: np.ndarray, pred: np.ndarray) -> float:
    """Macro ROC AUC over the genres that occur and do not always occur; rows of weight 0
    (trailers without a genre) are left out. NaN if no genre qualifies."""
    from sklearn.metrics import roc_auc_score
    keep = weight > 0
    yt, yp = y[keep], pred[keep]
    labels = (yt.sum(0) > 0) & (yt.sum(0) < len(yt))
    return float(roc_auc_score(yt[:, labels], yp[:, labels], average="macro")) if labels.any() else np.nan


def unseen_trailer_split(n_trailers: int, share: float, seed: int, part: int = 0) -> np.ndarray:
    """Boolean mask of the trailers held out of diagnostic network `part` (deterministic).

    The parts are consecutive slices of one seeded permutation, so they are disjoint: with
    share 0.2, parts 0-4 hold out every trailer exactly once."""
    held = np.zeros(n_trailers, bool)
    n = max(1, int(round(share * n_trailers))) if n_trailers > 1 else 0
    held[np.random.default_rng([seed, 7]).permutation(n_trailers)[part * n:(part + 1) * n]] = True
    return held


def genre_auc_unseen_trailers(cfg: Profile, data: SequenceData, trained: list[TrainResult] | None = None,
                              progress: bool = False) -> dict:
    """Genre AUC on trailers the diagnostic networks never saw, averaged over the held-out splits.

    For each of `cfg.unseen_trailer_splits` disjoint sets of trailers, a genre-only network is
    trained on the other trailers and scored on every window of the held-out ones; the
    result is the mean of the splits' AUCs. One split of ~40 demo trailers gave an AUC with a
    seed-to-seed sd of 0.028; the mean over five disjoint splits scores every trailer and
    averages five networks' training noise (spread: tests/benchmarks/RESULTS.md). The AUC is
    taken per split, not over the pooled windows: each network scales its genre scores its own
    way, and pooling the five scales cost ~0.04 of AUC. Each network's early stopping watches
    a second, trailer-disjoint share of its seen trailers: validation tails of training
    trailers (as in the main models) would reward memorising trailers, which is exactly what
    this check must not. Returns {"genre_auc", "genre_auc_per_split", "n_unseen_trailers",
    "n_unseen_windows"}. `trained`: the networks in split order, if trained already
    (side_by_side.train_networks trains them with the others)."""
    per_split, n_trailers, n_windows = [], 0, 0
    for part, model in enumerate(diagnostic_models(cfg)):
        seen, split, unseen = unseen_trailer_inputs(cfg, data, part)
        result = trained[part] if trained else train_model(cfg, seen, split, model, progress)
        idx = np.arange(len(unseen.seq_offset))
        per_split.append(evaluate_heads(result.model, unseen, idx, ("genre",)).get("genre_auc", np.nan))
        n_trailers, n_windows = n_trailers + unseen.n_trailers, n_windows + len(idx)
    return {"genre_auc": float(np.mean(per_split)), "genre_auc_per_split": per_split,
            "n_unseen_trailers": n_trailers, "n_unseen_windows": n_windows}


def unseen_trailer_inputs(cfg: Profile, data: SequenceData, part: int = 0
                          ) -> tuple[SequenceData, tuple, SequenceData]:
    """Diagnostic network `part`'s training data (the seen trailers), its (train, early-stopping)
    split of window indices, and the unseen trailers it is scored on."""
    held = unseen_trailer_split(data.n_trailers, cfg.unseen_trailer_share, cfg.seed, part)
    seen, unseen = data.restrict(~held), data.restrict(held)
    stop_on = unseen_trailer_split(seen.n_trailers, cfg.unseen_trailer_share, cfg.seed + 1 + part)[seen.seq_trailer]
    return seen, (np.flatnonzero(~stop_on), np.flatnonzero(stop_on)), unseen
