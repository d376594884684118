"""The named profiles: smoke (tests), demo (the default), scale (ML20M-sized rehearsal), ml20m (the
paper); and `load_profile`, the one way a notebook or script gets its configuration.

>>> cfg = load_profile("demo")                 # smoke | demo | scale | ml20m
>>> cfg.image_size, cfg.sequence_lengths, cfg.n_folds
(96, (10, 20), 5)
>>> s = load_profile("scale")
>>> s.synth_n_movies, s.synth_n_users, s.n_folds, s.evaluate_folds
(27278, 138493, 10, 2)
>>> load_profile("nope")
Traceback (most recent call last):
ValueError: unknown profile 'nope'; valid: smoke, demo, scale, ml20m or a .toml/.yaml file

    cfg = load_profile("my_profile.toml")      # base = "demo", then field overrides
    cfg = load_profile("demo", {"top_k": 20})  # the same, inline: profile "demo+top_k=20"

>>> load_profile("demo", {"top_k": 20}).name, load_profile("demo", {"top_k": 20}).base
('demo+top_k=20', 'demo')
>>> load_profile("demo", {"top_k": 0})
Traceback (most recent call last):
vt2lib.profile_checks.ProfileError: profile 'demo+top_k=0': top_k = 0; allowed: integers >= 1 or none
>>> parse_override("sequence_lengths=[10]"), parse_override("similarity=cosine"), parse_override("top_k=none")
(('sequence_lengths', [10]), ('similarity', 'cosine'), ('top_k', None))

Every profile is one `Profile` (vt2lib.config). A profile file names one of these as its base
and overrides fields (relative paths are resolved against the file's folder), e.g.::

    base = "ml20m"
    movielens_dir = "/data/ml-latest-small"
    trailer_source = "none"
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

from vt2lib.config import Profile, data_settings
from vt2lib.profile_checks import did_you_mean, unknown_fields

_ML20M = Profile(
    name="ml20m",
    ratings_source="movielens",
    download_ml20m=True,
    trailer_source="youtube",
    check_availability=True,
    backbone_weights="imagenet",
    feature_batch_size=256,
    # the GPU box has 16 cores: 15 decode (the longest CPU stage, RESULTS.md), the 16th feeds the GPU
    n_workers=15,
    # the box has 64 GiB of disk and ML20M's trailers are ~110 GB: 02 deletes each video once its features are
    # stored, and holds at most video_window (64) at once (~0.4 GB at 240p); `true` needs the ~110 GB
    keep_videos=False,
    # 12 YouTube sessions, each a video every 15 s at most (YouTube's limit, vt2lib.data.youtube_limits): 02
    # takes >= 4.7 h, bound by fetching (decoding: ~15 min). How many sessions one address may run is not
    # documented: a refusal pauses them all (tests/benchmarks/project_ml20m.py: the time)
    download_threads=12,
    keras_backend="jax",  # a GPU box gets jax[cuda12] from run_all.sh; TensorFlow's GPU build is not installed
    feature_backend="jax",
    # 03: the paper and leak-free network of one S as two towers of one model: a batch-32 step is bound by
    # its latency on a GPU, so two towers cost 1.52 steps unrolled, not 2 (rates_h200.json; tests/test_towers.py:
    # weights equal to training alone)
    train_towers=True,
    # a batch-32 step is bound by latency on the GPU: the LSTMs' S steps unrolled cost half the loop's
    # (tests/benchmarks/rates_h200.json); on a CPU they cost more, so the other profiles loop
    lstm_unroll=True,
    unseen_trailer_splits=1,  # one genre diagnostic: 20% of ~13.5k trailers is a steady AUC already
    # 09 (beyond the paper) on 4 of the 10 item-disjoint folds, ~5.4k new movies, and one fit per fold shared by
    # its 3 few-ratings settings, ~1.8k movies each: 32 FM fits per fold, not 54 (RESULTS.md: the time, the noise)
    cold_start_folds=4,
    cold_shared_fit=True,
    # 10: 5,000 users per fold (of ~120k with a hit) on 3 folds per setting: a recall's standard error ~0.004
    ranking_users=5_000,
    ranking_folds=3,
    # the top-N rankers learn from the liked ratings only, as EASE's and VAE-CF's ML20M protocol (>= 4, the
    # hits here too); each grid point is a fit on the inner split (tests/benchmarks/project_ml20m.py: the time)
    ranking_positives=(4.0,),
    ease_l2=(250.0, 500.0, 1000.0),
    # fm_side_chains stays 2 (09, 10): the Monte Carlo error is measured on ML20M (two chains give its spread)
    # and halved in variance; each chain more adds ~29 min to 09 and 10 (tests/benchmarks/project_ml20m.py)
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
    # work; 64 keeps the same genre and identity signal at well under the time (RESULTS.md)
    lstm_units=64,
    learning_rate=1e-3,  # 100x fewer sequences than ML20M: larger steps, weaker L2, or nothing is learnt
    l2=1e-4,
    max_epochs=10,  # a laptop run trains seven networks in 03 (paper + leak-free per S, three diagnostics)
    unseen_trailer_splits=3,  # five cost ~40 s more; their mean moves by sd 0.015 over seeds, three ~0.036/sqrt 3
    # train_workers stays 1: side by side saved nothing on 2 CPU cores (RESULTS.md)
    keras_backend="jax",  # a demo epoch is ~3x faster on JAX than on TensorFlow (2 CPU cores, RESULTS.md)
    # feature_backend stays tensorflow: XLA's CPU depthwise convolutions make MobileNetV2 slow on JAX
    n_folds=5,
    fm_rank=8,
    fm_iters=60,
    fm_flavour="myfm",  # myfm's C++ sampler: the fast one on a laptop CPU (the JAX sampler runs libfm)
    als_factors=16,  # ~200 movies: 64 factors only memorise them (the inner split then picks l2 = 100)
    als_iterations=8,  # chooses and scores as 15 on the demo's folds, in 2/3 of the time
    ranking_folds=3,  # as ml20m 3 of 10: ~1,450 users still pooled; pays for 10's rankers (RESULTS.md)
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
    # training stays on the demo's JAX: after one compile, a smoke epoch costs almost nothing there, and
    # 03 takes about half TensorFlow's time (2 CPU cores, RESULTS.md)
    n_folds=3,
    fm_rank=4,
    fm_iters=20,
    fusion_k_step=0.25,
    cv_folds_r2=3,
    unseen_trailer_splits=2,  # the pooled multi-split path, at the least cost
    train_towers=True,  # as ml20m: the notebook tests run 03's tower path
    fm_side_chains=1,  # the tests' many smoke runs fit one chain; tests/test_cold_start.py covers averaged chains
    # 10's grids at two points each (the search itself is what the tests run), ALS small and short
    als_factors=8,
    als_iterations=5,
    ease_l2=(50.0, 800.0),
    als_l2=(1.0, 100.0),
    als_alpha=(10.0,),
    content_map_l2=(0.01, 1.0),
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
    cold_n_ratings=(),  # 09: fully cold and warm; every side-feature column adds to each sweep (RESULTS.md)
    unseen_trailer_splits=1,  # as ml20m
    # 10: 1,000 users per fold, not ml20m's 5,000: on 2 CPU cores the FM scores every user x movie
    # single-threaded (17M pairs per sweep here); the rehearsal times it per user (RESULTS.md)
    ranking_users=1_000,
    als_factors=64,  # as ml20m, and its grids
    ranking_positives=(4.0,),
    ease_l2=(250.0, 500.0, 1000.0),
    fm_side_chains=1,  # the rehearsal times one fit; the projection multiplies by ml20m's chains
    ranking_folds=1,  # the 90-minute budget: 10 took 1,160 s on 2 folds per setting (RESULTS.md); no sd over folds
)

PROFILES: dict[str, Profile] = {p.name: p for p in (_SMOKE, _DEMO, _SCALE, _ML20M)}


def _coerce(name: str, current: Any, value: Any, source: str) -> Any:
    """Give a profile-file value the type of the field it overrides."""
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(current, tuple) and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return (float(value) if current and isinstance(current[0], float) and isinstance(value, int) else value,)
    if isinstance(current, dict) and isinstance(value, dict):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if current is not None and value is not None and not isinstance(value, type(current)):
        raise ValueError(f"{source}: field {name!r} must be {type(current).__name__}, got {value!r}")
    return value


def _read_profile_file(path: Path) -> dict[str, Any]:
    import yaml
    try:
        return tomllib.loads(path.read_text()) if path.suffix == ".toml" else (yaml.safe_load(path.read_text()) or {})
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:  # their messages name the line, not the file
        raise ValueError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: "
                         f"{' '.join(str(e).split())}") from None


PATH_FIELDS = ("movielens_dir", "youtube_mapping", "availability_file", "metadata_file", "data_dir")


def _overridden(base: Profile, overrides: dict[str, Any], source: str, folder: Path | None = None) -> dict:
    """Check and type the field overrides of a profile file or of OVERRIDES / --set (`source` names them)."""
    valid = {f.name for f in dataclasses.fields(Profile)} - {"name", "base", "data_from"}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ValueError(f"{source}: {unknown_fields(unknown, valid)}")
    values = {}
    for k, v in overrides.items():
        if folder is not None and k in PATH_FIELDS and isinstance(v, str) and v and not Path(v).is_absolute():
            v = str((folder / v).resolve())
        values[k] = _coerce(k, getattr(base, k), v, source)
    return values


def override_name(name: str, overrides: dict[str, Any]) -> str:
    """The name (and run folder) of a profile with overrides: demo+top_k=20; a long one ends in a digest."""
    import hashlib
    import re
    shown = lambda v: ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)  # noqa: E731
    raw = "+".join(f"{k}={shown(v)}" for k, v in sorted(overrides.items())).replace(" ", "")
    text = re.sub(r"[^A-Za-z0-9_.,=+-]+", "", raw)
    if len(text) > 60 or text != raw:  # long, or characters dropped: a digest keeps two overrides apart
        text = text[:48] + "-" + hashlib.sha256(repr(sorted(overrides.items())).encode()).hexdigest()[:8]
    return f"{name}+{text}"


def parse_override(text: str) -> tuple[str, Any]:
    """`field=value` from the command line: the value as TOML reads it (20, 0.5, [10, 20], true), `none`
    for None, else the text itself (a string)."""
    field, sep, value = text.partition("=")
    if not sep or not field.strip():
        raise ValueError(f"--set {text!r}: expected field=value, e.g. --set top_k=20")
    value = value.strip()
    if value.lower() in ("none", "null"):
        return field.strip(), None
    try:
        return field.strip(), tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return field.strip(), value


def load_profile(name_or_path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Profile:
    """Return the named profile, or a profile file's base profile with its overrides; then `overrides`
    (a notebook's OVERRIDES, run_all.sh's --set) on top, as a profile of its own: `<name>+field=value`,
    with its own run and figures folder, sharing every artifact its changes do not touch (vt2lib.store)."""
    cfg = _load(name_or_path)
    if not overrides:
        return cfg
    values = _overridden(cfg, dict(overrides), "overrides")
    return dataclasses.replace(cfg, **values, name=override_name(cfg.name, values), base=cfg.base or cfg.name,
                               data_from=_data_of(cfg))


def _data_of(cfg: Profile) -> str:
    """What a profile derived from `cfg` keeps in data_from: cfg's data folder and data settings."""
    return f"{cfg.data_path.name}@{data_settings(cfg)}"


def _load(name_or_path: str | os.PathLike) -> Profile:
    key = str(name_or_path)
    if key in PROFILES:
        return PROFILES[key]
    path = Path(key)
    if path.suffix not in (".toml", ".yml", ".yaml"):
        raise ValueError(f"unknown profile {key!r}{did_you_mean(key, PROFILES)}; valid: {', '.join(PROFILES)} or a "
                         ".toml/.yaml file")
    if not path.is_file():
        raise FileNotFoundError(f"profile file {path} does not exist")
    overrides = _read_profile_file(path)
    base_name = overrides.pop("base", "demo")
    name = overrides.pop("name", path.stem)
    if base_name not in PROFILES:
        raise ValueError(f"{path}: unknown base profile {base_name!r}; valid: {', '.join(PROFILES)}")
    if name.startswith("_") or "+" in name:  # runs/_store is the shared store; "+" names overrides
        raise ValueError(f"{path}: profile name {name!r} may not start with '_' or contain '+'")
    values = _overridden(PROFILES[base_name], overrides, str(path), path.parent)
    return dataclasses.replace(PROFILES[base_name], **values, name=name, base=base_name,
                               data_from=_data_of(PROFILES[base_name]))
