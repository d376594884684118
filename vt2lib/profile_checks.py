"""What values each profile field may take: choices, ranges, and combinations, checked when a
profile is made (vt2lib.config.Profile), so a bad value fails at load in one line naming the
field, the value and what is allowed, before any notebook runs.

>>> from vt2lib.profiles import load_profile
>>> import dataclasses
>>> dataclasses.replace(load_profile("demo"), fm_rank=-3)
Traceback (most recent call last):
vt2lib.profile_checks.ProfileError: profile 'demo': fm_rank = -3; allowed: integers >= 1
"""
from __future__ import annotations

import dataclasses
import difflib


class ProfileError(ValueError):
    """A profile field out of its range or choices; the message names field, value and what is allowed."""


# Every field with a fixed set of values; fields not listed here or below take any value of their type.
CHOICES: dict[str, tuple] = {
    "ratings_source": ("synthetic", "movielens"),
    "trailer_source": ("synthetic", "youtube", "none"),
    "synth_generator": ("demo", "scale"),
    "keyframe_rule": ("per_second", "every_nth"),
    "resize_mode": ("stretch", "center_crop"),
    "keep_keyframes": ("sample", "all"),
    "backbone_alpha": (0.35, 0.5, 0.75, 1.0, 1.3, 1.4),  # the widths Keras has ImageNet weights for
    "keras_backend": ("tensorflow", "jax"),
    "feature_backend": ("tensorflow", "jax"),
    "fm_backend": ("auto", "myfm", "jax"),
    "fm_flavour": ("libfm", "myfm"),
    "similarity": ("cosine01", "cosine"),
    "analysis_embeddings": ("leakfree", "paper"),
    "figure_formats": ("png", "pdf"),  # each of the tuple's
}
HEADS = ("rating", "genre", "trailer_id")
# Numbers (or each number of a tuple) with a lower bound; None stays allowed where the default is None.
AT_LEAST: dict[str, int] = {
    **dict.fromkeys(("synth_n_movies", "synth_n_users", "synth_trailer_seconds", "synth_frame_size", "min_user_ratings",
                     "keyframe_every_n", "image_size", "sequence_lengths", "sequence_shift", "n_workers",
                     "download_threads", "video_window",
                     "feature_batch_size", "lstm_units", "embedding_sizes", "batch_size", "max_epochs", "patience",
                     "train_workers", "unseen_trailer_splits", "evaluate_folds", "top_k", "fm_rank", "fm_iters",
                     "cold_n_ratings", "side_pca_dim", "pca_sequence_length", "max_steps_per_epoch",
                     "cold_start_folds", "ranking_users", "ranking_folds", "fm_side_chains", "als_factors",
                     "als_iterations"), 1),
    **dict.fromkeys(("seed", "fold_seed", "synth_n_videos"), 0),
    **dict.fromkeys(("n_folds", "cv_folds_r2"), 2),
    "image_size": 32,  # MobileNetV2's smallest input
}
_OPTIONAL = ("evaluate_folds", "top_k", "side_pca_dim", "max_steps_per_epoch", "cold_start_folds",
             "ranking_users", "ranking_folds")
POSITIVE = ("synth_ratings_per_user", "max_trailer_seconds", "learning_rate", "fm_init_stdev", "ease_l2", "als_l2",
            "als_alpha", "content_map_l2")
NON_NEGATIVE = ("l2", "loss_weights")
OPEN_UNIT = ("unseen_trailer_share", "val_share", "fusion_val_share")  # shares: strictly between 0 and 1


MAX_FOLDS = 127  # fold ids are stored as int8 (vt2lib.rating.evaluation, cold_start)
METADATA_VARIANTS = ("metadata", "genome")  # Eq. 1 on genres, on the tag genome (where ML20M's file is)
AUTO = "auto"  # a variant field's default: what the profile has (auto_variants)
VARIANT_FIELDS = ("fusion_variant", "side_embedding_variant", "correlation_variant")
TRAILERS_OFF = "trailer_source = 'none'"
NO_TRAILERS = f"{TRAILERS_OFF}: no trailer embeddings"


def embedding_variant_names(p) -> list[str]:
    """The paper model's embedding variants a profile's networks make, emb{size}_s{S}, in Table 1's
    order (vt2lib.rating.item_vectors.embedding_sources names them so)."""
    return [f"emb{d}_s{S}" for S in p.sequence_lengths for d in sorted(p.embedding_sizes)]


def auto_variants(p) -> dict[str, str | None]:
    """What `auto` means for each variant field: with trailers the paper's variants (Figs 7-8 the large
    embedding, 09's side features and Table 3 the small one, both of the first S); without trailers
    genres (metadata) for the fusion and as the FM's only side features, and no Table 3 row (a) (None).

    >>> from vt2lib.profiles import load_profile
    >>> import dataclasses
    >>> auto_variants(load_profile("smoke"))["fusion_variant"]
    'emb512_s10'
    >>> auto_variants(dataclasses.replace(load_profile("smoke"), trailer_source="none"))["fusion_variant"]
    'metadata'
    """
    if p.trailer_source == "none":
        return {"fusion_variant": "metadata", "side_embedding_variant": "metadata", "correlation_variant": None}
    big, small = p.embedding_sizes  # as vt2lib.rating.item_vectors names them
    first = p.sequence_lengths[0]
    return {"fusion_variant": f"emb{big}_s{first}", "side_embedding_variant": f"emb{small}_s{first}",
            "correlation_variant": f"emb{small}_s{first}"}


# Fields whose value names values of other fields, and what they may name: checked at load, and
# tests/test_config.py walks every field that looks like one of these to find one left unchecked.
# Without trailers a variant field may name only what 05 makes then: genres (fusion: the tag genome too).
def reference_choices(p) -> dict[str, tuple]:
    variants = () if p.trailer_source == "none" else tuple(embedding_variant_names(p))
    return {"pca_sequence_length": tuple(p.sequence_lengths),
            "side_embedding_variant": (AUTO, *(variants or METADATA_VARIANTS[:1])),
            "correlation_variant": (AUTO, *variants), "fusion_variant": (AUTO, *variants, *METADATA_VARIANTS)}


def _values(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def profile_problems(p) -> list[str]:
    """What is wrong with a profile's values, one line per field (empty: valid)."""
    unset = [f.name for f in dataclasses.fields(p) if isinstance(f.default, tuple) and getattr(p, f.name) is None]
    if unset:  # `--set figure_formats=none`, or an empty YAML key: the checks below need a list
        return [f"{name} = None; allowed: a list of values ([] where that means none)" for name in unset]
    problems = []

    def passes(ok, v) -> bool:
        try:
            return bool(ok(v))
        except TypeError:  # text where a number belongs (--set top_k=abc): a bad value, said as one
            return False

    def check(name, ok, allowed):
        value = getattr(p, name)
        if value is not None and not all(passes(ok, v) for v in _values(value)):
            problems.append(f"{name} = {value!r}; allowed: {allowed}")
    for name, choices in CHOICES.items():
        check(name, lambda v, c=choices: v in c, "one of " + ", ".join(map(repr, choices)))
    for name, low in AT_LEAST.items():
        check(name, lambda v, low=low: v >= low, f"integers >= {low}" + (" or none" if name in _OPTIONAL else ""))
    for name in POSITIVE:
        check(name, lambda v: v > 0, "a number > 0")
    for name in NON_NEGATIVE:
        check(name, lambda v: v >= 0, "numbers >= 0")
    for name in OPEN_UNIT:
        check(name, lambda v: 0 < v < 1, "a share strictly between 0 and 1")
    check("fusion_k_step", lambda v: 0 < v <= 1, "a step in (0, 1]")
    check("popularity_percentile_filter", lambda v: 0 <= v < 100, "a percentile in [0, 100)")
    check("heads", lambda v: v in HEADS, "some of " + ", ".join(HEADS))
    check("leakfree_heads", lambda v: v in HEADS[1:], "some of " + ", ".join(HEADS[1:]) + " (no rating head)")
    check("ranking_positives", lambda v: 0.5 <= v <= 5, "ratings in 0.5..5")
    for name in ("sequence_lengths", "heads", "leakfree_heads", "ranking_positives", "ease_l2", "als_l2", "als_alpha",
                 "content_map_l2"):
        if not getattr(p, name):
            problems.append(f"{name} is empty; allowed: at least one value")
    if len(set(p.figure_formats)) != len(p.figure_formats):
        problems.append(f"figure_formats = {p.figure_formats!r}; allowed: each format once")
    if len(p.embedding_sizes) != 2:
        problems.append(f"embedding_sizes = {p.embedding_sizes!r}; allowed: two sizes (the Dense 512 and 256 layers)")
    if len(p.loss_weights) != len(HEADS):
        problems.append(f"loss_weights = {p.loss_weights!r}; allowed: one weight per head of {', '.join(HEADS)}")
    if p.n_folds > MAX_FOLDS:
        problems.append(f"n_folds = {p.n_folds}; allowed: 2..{MAX_FOLDS} (fold ids are stored as int8)")
    if not problems:  # the names below are made of sizes and lengths that are valid by now
        for name, allowed in reference_choices(p).items():
            why = f" ({NO_TRAILERS})" if p.trailer_source == "none" and name in VARIANT_FIELDS else ""
            check(name, lambda v, a=allowed: v in a, "one of " + ", ".join(map(repr, allowed)) + why)
    if p.evaluate_folds is not None and p.evaluate_folds > p.n_folds:
        problems.append(f"evaluate_folds = {p.evaluate_folds}; allowed: 1..n_folds ({p.n_folds}) or none")
    if p.unseen_trailer_share * p.unseen_trailer_splits > 1:
        problems.append(f"unseen_trailer_splits = {p.unseen_trailer_splits}; allowed: splits x unseen_trailer_share "
                        f"({p.unseen_trailer_share}) <= 1, so that the held-out sets are disjoint")
    if not p.keep_videos and p.trailer_source == "synthetic":
        problems.append("keep_videos = false with trailer_source = 'synthetic'; allowed: true (02 deletes only "
                        "videos it can download again, and the synthetic ones are written once, by 01)")
    if p.fm_backend == "myfm" and p.fm_flavour != "myfm":
        problems.append(f"fm_flavour = {p.fm_flavour!r}; allowed with fm_backend 'myfm': 'myfm' (libfm runs on jax)")
    if p.synth_trailer_seconds[0] > p.synth_trailer_seconds[-1]:
        problems.append(f"synth_trailer_seconds = {p.synth_trailer_seconds!r}; allowed: (shortest, longest)")
    return problems


def unknown_fields(unknown: list[str], valid: set[str]) -> str:
    """The error for fields no profile has: each with its closest valid name; every valid name only where
    some unknown field has no close one (the list is ~90 names long).

    >>> unknown_fields(["topk"], {"top_k", "seed"})
    "unknown field 'topk' (did you mean 'top_k'?)"
    >>> unknown_fields(["topk", "zzz"], {"top_k", "seed"})
    "unknown fields 'topk' (did you mean 'top_k'?), 'zzz'; valid fields: seed, top_k"
    """
    hints = {k: did_you_mean(k, valid) for k in unknown}
    named = f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(f'{k!r}{h}' for k, h in hints.items())}"
    return named if all(hints.values()) else f"{named}; valid fields: {', '.join(sorted(valid))}"


def did_you_mean(name: str, names) -> str:
    """' (did you mean 'x'?)' for the closest of `names`, or '' if none is close."""
    close = difflib.get_close_matches(name, list(names), 1)
    return f" (did you mean {close[0]!r}?)" if close else ""
