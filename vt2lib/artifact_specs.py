"""What each artifact of the store (vt2lib.store) is made from: the profile fields and input
artifacts its key digests (SPECS), the digest itself, and the raw inputs' key.

>>> digest(1, "a") == digest(1, "a") != digest(1, "b")
True
>>> SPECS["folds"].maker
'05_content_based'
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from vt2lib.config import Profile, data_values, diagnostic_split, input_files, model_heads, model_name, network


def digest(*parts) -> str:
    """A digest of arrays and plain values: what a stored result was computed from."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, (np.ndarray, pd.Series)):
            a = np.ascontiguousarray(np.asarray(p))
            h.update(str((a.dtype, a.shape)).encode())
            h.update(a.tobytes())
        else:
            h.update(repr(p).encode())
    return h.hexdigest()[:16]


FROZEN_MEANS_FILE, EMBEDDINGS_FILE = "frozen_means.npz", "embeddings.npz"  # written by 04, read by the rating side
# ------------------------------------------------------------------ what each artifact depends on
TRAINING_FIELDS = ("loss_weights", "lstm_units", "embedding_sizes", "learning_rate", "l2", "batch_size",
                   "max_epochs", "patience", "seed", "sequence_shift", "val_share", "keras_backend",
                   "max_steps_per_epoch", "lstm_unroll")


@dataclass(frozen=True)
class Spec:
    """One kind of artifact: its folder, the fields and inputs its key is made of, its maker."""
    folder: str                                   # under runs/_store/ (then <key>/); "{}" = its parameter
    fields: Callable[[Profile, str], dict]        # profile values the content depends on
    inputs: Callable[[Profile, str], tuple]       # names of the artifacts it is made from
    maker: str                                    # the notebook that produces it (named in errors)
    content: bool = False                         # digest the files: later keys follow content, not key


def _pick(*names):
    return lambda cfg, param: {n: getattr(cfg, n) for n in names}


def _keyframe_fields(cfg: Profile, param: str) -> dict:
    out = _pick("keyframe_rule", "image_size", "resize_mode")(cfg, param)
    out |= {"keyframe_every_n": cfg.keyframe_every_n} if cfg.keyframe_rule == "every_nth" else {}
    return out | ({"download_format": cfg.download_format} if cfg.trailer_source == "youtube" else {})


def _feature_fields(cfg: Profile, param: str) -> dict:
    return _keyframe_fields(cfg, param) | _pick("synth_direct_features", "backbone_weights", "backbone_alpha",
                                                "mixed_precision", "seed", "allow_random_backbone_fallback",
                                                "feature_backend")(cfg, param)


def _kept_keyframe_fields(cfg: Profile, param: str) -> dict:
    """Which trailers keep raw keyframes: drawn from the seed, matched by the PCA groups' titles."""
    return _keyframe_fields(cfg, param) | _pick("keep_keyframes", "seed", "pca_groups", "pca_references")(cfg, param)


def _model_fields(cfg: Profile, param: str) -> dict:
    seq_len, model = network(cfg, param)
    out = _pick(*TRAINING_FIELDS)(cfg, param) | {"heads": model_heads(cfg, model), "seq_len": seq_len}
    if diagnostic_split(cfg, model) is not None:  # its split: the share held out, drawn from the seed
        out["unseen_trailer_share"] = cfg.unseen_trailer_share
    return out


def _model_inputs(cfg: Profile, param: str) -> tuple:
    base = ("features", "keyframe_status", "clean")
    return base + (("evaluation_ratings",) if "rating" in model_heads(cfg, network(cfg, param)[1]) else ())


SPECS: dict[str, Spec] = {
    "clean": Spec("data/clean", _pick("max_trailer_seconds", "min_user_ratings"), lambda c, p: ("raw",),
                  "01_clean_dataset", content=True),
    # 02's one pass per trailer: features always, raw keyframes of a sample (or all: keep_keyframes)
    # content: the digest 02 gives of the trailers it holds features for (a rerun that adds one changes it)
    "features": Spec("cache/features", _feature_fields, lambda c, p: ("raw", "clean"), "02_keyframes", content=True),
    "keyframes": Spec("cache/keyframes", _kept_keyframe_fields, lambda c, p: ("raw", "clean"), "02_keyframes"),
    "keyframe_status": Spec("data/keyframe_status", _pick("sequence_lengths"), lambda c, p: ("clean", "features"),
                            "02_keyframes", content=True),
    "evaluation_ratings": Spec("data/evaluation_ratings", _pick("min_user_ratings", "keep_movies_without_trailer"),
                               lambda c, p: ("clean", "keyframe_status"), "02_keyframes", content=True),
    "model": Spec("models/{}", _model_fields, _model_inputs, "03_train_embedding"),
    "embeddings": Spec("embeddings/{}", lambda c, p: {}, lambda c, p: (f"model/{p}", "features"),
                       "04_extract_embeddings"),
    # issue 24's baseline: each trailer's mean frozen keyframe feature, no network trained
    "frozen_means": Spec("embeddings/frozen_mean", lambda c, p: {}, lambda c, p: ("features",), "04_extract_embeddings"),
    # a profile without trailers evaluates 01's cleaned ratings (no notebook 02 feedback)
    "folds": Spec("data/folds", _pick("n_folds", "fold_seed"),
                  lambda c, p: ("clean",) if c.trailer_source == "none" else ("evaluation_ratings",),
                  "05_content_based", content=True),
    # keyed by run_cv's digest of the CV table it was given (the folds, or a cold-start split of them)
    "predictions": Spec("predictions/{}", lambda c, p: {}, lambda c, p: (), "05-09 (the notebook of that method)"),
}


def model_artifact(seq_len: int, model: str = "paper") -> str:  # 03's network: model/s10, model/s10_leakfree, ...
    return f"model/{model_name(seq_len, model)}"


def embeddings_artifact(seq_len: int, model: str = "paper") -> str:  # 04's embeddings of that network
    return f"embeddings/{model_name(seq_len, model)}"


def source_key(cfg: Profile) -> str:
    """The raw inputs: the generator's settings, or the real files' sizes and times."""
    values = data_values(cfg)
    stats = {name: (p.stat().st_size, p.stat().st_mtime_ns) for name, p in input_files(cfg).items() if p.is_file()}
    return digest(values, sorted(stats.items()))
