"""The named profiles: smoke (tests), demo (the default), scale (ML20M-sized rehearsal), ml20m (the paper).

>>> from vt2lib.config import load_profile
>>> s = load_profile("scale")
>>> s.synth_n_movies, s.synth_n_users, s.n_folds, s.evaluate_folds
(27278, 138493, 10, 2)

Every profile is one `Profile`; a user's TOML/YAML file names one of these as its base.
"""
from __future__ import annotations

import dataclasses

from vt2lib.config import Profile

_ML20M = Profile(
    name="ml20m",
    ratings_source="movielens",
    download_ml20m=True,
    trailer_source="youtube",
    check_availability=True,
    backbone_weights="imagenet",
    feature_batch_size=256,
    n_workers=16,  # the GPU box has 16 cores: keyframe decoding is the third-largest stage (RESULTS.md)
    keras_backend="jax",  # a GPU box gets jax[cuda12] from run_all.sh; TensorFlow's GPU build is not installed
    feature_backend="jax",
    # 03: the paper and leak-free network of one S as two towers of one model: a batch-32 step is bound by
    # its latency on a GPU, so two towers cost about one (tests/test_towers.py: weights equal to training alone)
    train_towers=True,
    # a batch-32 step is bound by latency on the GPU: the LSTMs' S steps unrolled cost half the loop's
    # (tests/benchmarks/rates_h200.json); on a CPU they cost more, so the other profiles loop
    lstm_unroll=True,
    unseen_trailer_splits=1,  # one genre diagnostic: 20% of ~13.5k trailers is a steady AUC already
    # 09 (beyond the paper) on 4 of the 10 item-disjoint folds: its 34 FM fits per fold would be the
    # box's longest stage at 10 (tests/benchmarks/RESULTS.md); ~5.4k new movies are still tested
    cold_start_folds=4,
    # 10: 5,000 users per fold (of ~120k with a hit) on 3 folds per setting: a recall's standard error
    # is then ~0.004, and Eq. 1 and the FM score 68M pairs per fold and method (RESULTS.md: the time)
    ranking_users=5_000,
    ranking_folds=3,
)

_DEMO = Profile(
    name="demo",
    synth_n_movies=300,
    synth_n_users=1500,
    synth_trailer_seconds=(60, 100),
    image_size=96,
    backbone_alpha=0.35,
    allow_random_backbone_fallback=True,
    # 64 of the paper's 256 per direction: the first BiLSTM's input projection is most of an epoch's
    # work; 128 -> 64 took 03 from 394 to 231 s with the same genre and identity signal (RESULTS.md)
    lstm_units=64,
    learning_rate=1e-3,  # 100x fewer sequences than ML20M: larger steps, weaker L2, or nothing is learnt
    l2=1e-4,
    max_epochs=10,  # a laptop run trains five networks in 03 (paper + leak-free per S, one diagnostic)
    # train_workers stays 1: five networks side by side took 204 s, one after the other 210 s (2 CPU cores)
    keras_backend="jax",  # a demo epoch: 7 s on JAX vs 21 s on TensorFlow (2 CPU cores, RESULTS.md)
    # feature_backend stays tensorflow: XLA's CPU depthwise convolutions make MobileNetV2 slow on JAX
    n_folds=5,
    fm_rank=8,
    fm_iters=60,
    fm_flavour="myfm",  # myfm's C++ sampler: the fast one on a laptop CPU (the JAX sampler runs libfm)
    pca_groups={
        "fig09_pca_harry_potter": (r"^Wand Academy",),
        "fig10_pca_lord_of_the_rings": (r"^Ring Bearers",),
        "fig11_pca_star_wars": (r"^Galaxy Wars",),
    },
    pca_references=(r"^Toy Town \(", r"^Alone at Home \("),
)

_SMOKE = dataclasses.replace(
    _DEMO,
    name="smoke",
    synth_n_movies=60,
    synth_n_users=150,
    synth_ratings_per_user=25.0,
    synth_trailer_seconds=(22, 34),
    synth_frame_size=(64, 48),
    image_size=32,
    backbone_weights="none",
    feature_batch_size=128,
    lstm_units=16,
    max_epochs=3,
    # training stays on the demo's JAX: a smoke epoch (3 batches) took 3.5 s on TensorFlow, < 0.1 s on
    # JAX after a ~7 s compile; 03 took 142 s on TensorFlow, 77 s on JAX (2 CPU cores, RESULTS.md)
    n_folds=3,
    fm_rank=4,
    fm_iters=20,
    fusion_k_step=0.25,
    cv_folds_r2=3,
    unseen_trailer_splits=2,  # the pooled multi-split path, at the least cost
    train_towers=True,  # as ml20m: the notebook tests run 03's tower path
)


# A rehearsal of ml20m's size on a laptop CPU: do notebooks 01-09 finish, how long, how much memory?
# Ratings, movies and the ML20M-YT mapping at ML20M's size and skew (synthetic_scale); real video
# files for 300 movies only, with the demo's video settings, and the movies without one keep their
# ratings (no trailer vector: the content rows fall back to the user mean there, counted; the
# metadata row runs Eq. 1 over every movie, the cost a full trailer set would have). The paper's 10
# folds, of which 2 are predicted; the FM at the paper's rank 32 with 2 sweeps: the cost per fold and
# per sweep is what is measured (RESULTS.md), not the RMSE.
_SCALE = dataclasses.replace(
    _DEMO,
    name="scale",
    synth_generator="scale",
    synth_n_movies=27_278,
    synth_n_users=138_493,
    synth_ratings_per_user=144.4,  # ML20M: 20,000,263 ratings / 138,493 users
    synth_n_videos=300,
    synth_trailer_seconds=(25, 45),
    keep_movies_without_trailer=True,
    # every other usable trailer gets features generated for its metadata length (~2.0M keyframes in
    # all, as ML20M's 13.5k trailers of ~150 s): 03 and 04 run on ML20M's windows; 03 times a bounded
    # number of steps per epoch (memory and step time at this size, not a trained network)
    synth_direct_features=True,
    max_steps_per_epoch=60,
    train_towers=True,  # as ml20m
    max_epochs=4,
    n_folds=10,
    evaluate_folds=2,
    fm_rank=32,
    fm_iters=2,
    fm_backend="jax",  # faster than myfm per rank-32 sweep at ML20M size on 2 CPU cores (RESULTS.md)
    fm_flavour="libfm",  # as ml20m
    cold_n_ratings=(),  # 09: fully cold and warm; each side-feature column adds ~2 s to a 14.5 s sweep here
    unseen_trailer_splits=1,  # as ml20m
    ranking_users=5_000,  # as ml20m
)

PROFILES: dict[str, Profile] = {p.name: p for p in (_SMOKE, _DEMO, _SCALE, _ML20M)}
