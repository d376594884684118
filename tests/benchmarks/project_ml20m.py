"""Project `./run_all.sh ml20m` (notebooks 01-10) onto one GPU box, from measured rates only.

    .venv/bin/python tests/benchmarks/project_ml20m.py [--rates rates.json] [--scale runs/scale/provenance.json]

The work of each stage comes from ML20M's sizes, the paper's trailer length ("around 5,000
frames", section 3.2: 200 keyframes a trailer at 25 fps) and the `ml20m` profile (folds,
sweeps, epoch bound, sequence lengths, models, towers, notebook 09's settings), so a changed
profile changes the projection. Every rate is labelled where it comes from:
- "measured: <machine>, <script>": rates_h200.json (the box's) and rates_cpu.json (here), then
  the rates.json files `--rates` names (device_check.sh's, a benchmark's), each replacing the
  rates of the same name before it;
- "measured on the GPU box (issue 22)": the numbers issue 22 reports from an H200 box;
- "assumed: <why>": not measured anywhere yet. Each assumed rate's share of the total (the
  time that goes if its work were free) is printed; none may carry more than 5 %.
`--scale` takes the seconds and bytes of the notebooks that a `./run_all.sh scale` run measured
at ML20M's sizes (01, 08; the bytes of 05-09's predictions). Prints Markdown tables: the rates,
the stages (time, disk written) and the peak disk with the video window.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from vt2lib.data.youtube_api import IDS_PER_REQUEST  # noqa: E402
from vt2lib.data.youtube_limits import SESSION_SPACING_S  # noqa: E402
from vt2lib.profiles import load_profile, parse_override  # noqa: E402
from vt2lib.embedding.training import SequenceData  # noqa: E402
from vt2lib.video.features import FeatureCache  # noqa: E402

TRAILERS = 13_571      # usable trailers after cleaning (Table 2)
ML20M_YT_IDS, ML20M_YT_PUBLIC = 25_623, 19_112  # ML20M-YT's rows; those public when the authors asked (2021)
OEMBED_INTERVAL_S = 0.5  # check_availability's pace without a Data API key
PAPER_NOTEBOOKS = ("01", "03", "04", "05", "06", "07", "08")  # the paper's own, 02 run elsewhere
FPS = 25
PAPER_MEAN_FRAMES = 5_000  # "the videos have around 5,000 frames" (paper, section 3.2): 200 s at 25 fps
TRAIN_RATINGS = 15.1e6   # ratings in the training part of one of ML20M's 10 folds (16.77M x 0.9)
FEATURE_DIM, FEATURE_BYTES = 1280, 2  # MobileNetV2's pooled features, stored as float16
KEYFRAME_BYTES = 224 * 224 * 3
KEPT_TRAILERS = 40     # raw keyframes kept: the strip's 8 candidates and the PCA groups' ~30 movies

# name: (value, unit, where). --rates replaces entries of the same name.
RATES = {
    "features": (35_000, "keyframes/s", "assumed: issue 22's figure for MobileNetV2 224x224 in mixed precision; "
                 "ml20m runs it in float32 (device_check.sh's features stage measures that)"),
    "training": (3_677, "sequences/s", "measured on the GPU box (issue 22): S = 10, batch 32"),
    "tower_step_ratio": (1.17, "x", "assumed: a 2-tower step as one step at batch 64, interpolated between "
                         "the box's batch-32 (3,677/s) and batch-256 (13,238/s) rates (issue 22); CPU here: 2.15"),
    "fm": (0.064, "s/sweep", "measured on the GPU box (issue 22): exact parallel Gibbs sweep, rank 32, 15.7M ratings"),
    "fm_compile": (8.7, "s/shape", "measured: NVIDIA H200, bench_gpu_box.py fm (compile + first sweep)"),
    "features_compile": (60.0, "s", "assumed: MobileNetV2's XLA compile at batch 256 exceeded the 35 s stage limit "
                         "on the box (issue 22); once per run of 02"),
    "forward_speedup": (3.0, "x", "assumed: a forward pass (validation, 04) costs a third of a training step"),
    "ranking_fm_factor": (2.0, "x a fit", "assumed: a ranking FM sweep also predicts 5,000 users x 13,600 movies "
                          "(`device_check.sh fm_ranking` measures it)"),
    "content": (8.18, "s/fold", "measured here: 2 cores, bench_gpu_box.py content (Eq. 1 on an ML20M-sized fold, "
                "1.57M test pairs, 256-d vectors)"),
    "content_core_scaling": (1.43, "x per doubling of cores", "measured here: 11.71 s on 1 core, 8.18 s on 2 "
                             "(NUMBA_NUM_THREADS); assumed to go on at that rate up to the box's 16 cores"),
    "similarity": (4.32, "s/method", "measured here: 2 cores, bench_gpu_box.py content (13,600 x 13,600 cosine "
                   "matrix, built once per method; 5.10 s on 1 core), not scaled to the box"),
}
USERS_WITH_A_HIT = 120_000  # assumed: ML20M's users with a test rating >= 4 in a fold (of 138,493)
RANKED_EQ1 = ("metadata", "trained embedding", "frozen_mean")   # notebook 10's content vectors (Eq. 1, the maps)
RANKED = {"warm": 9, "new": 10}  # notebook 10's methods per setting: 7 rating predictors + EASE, ALS; + 3 maps
THREADS = {"content": 2, "similarity": 2}  # the threads a CPU rate above ran on (a rates.json may say others)
MEASURED_ON_THE_BOX = Path(__file__).with_name("rates_h200.json")  # device_check.sh's rates, merged (RESULTS.md)
MEASURED_HERE = Path(__file__).with_name("rates_cpu.json")  # bench_decoding.py, bench_fold_matrices.py, bench_ranking.py
DECODE_RATE = "decode_240p"  # download_format's first choice: YouTube's 240p H.264 video-only stream
# 02's video window on disk, at most: 64 videos of the longest a trailer may be (max_trailer_seconds) at
# 1 Mbit/s, above YouTube's 240p and 360p H.264 rates
VIDEO_BYTES_PER_SECOND = 1e6 / 8
DATA_BYTES = 1.2e9  # ml-20m.zip and its extracted CSVs (ratings.csv 533 MB, genome-scores.csv 324 MB)


def read_rates(path: Path) -> None:
    for name, r in json.loads(Path(path).read_text()).items():
        RATES[name] = (float(r["value"]), r["unit"], f"{r['where']}: {r.get('note', '')}".rstrip(": "))
        if "threads" in r:
            THREADS[name] = int(r["threads"])


def content_core_ratio(cfg) -> float:
    """Eq. 1's per-fold time on the profile's cores over its time on the cores it was measured on."""
    return on_cores("content", cfg.n_workers) / RATES["content"][0]


def is_assumed(name: str) -> bool:
    return RATES[name][2].startswith("assumed")


def on_cores(name: str, cores: int) -> float:
    """A multi-threaded CPU rate (s) moved from the threads it was measured on to `cores`, at the
    measured scaling per doubling of cores."""
    return RATES[name][0] / RATES["content_core_scaling"][0] ** math.log2(cores / THREADS.get(name, 2))


def step_seconds(cfg, seq_len: int, towers: bool) -> tuple[float, str]:
    """Seconds per batch-32 training step at S = seq_len (one network, or paper + leak-free as two
    towers) with the profile's lstm_unroll: bench_gpu_box's measured step_s<S>_..., else the looped
    step of that S where only it is measured (unrolling was never slower on the box: an upper
    bound), else the S = 10 training rate, assumed linear in S, times the tower step ratio."""
    looped = f"step_s{seq_len}_{'towers' if towers else 'one'}"
    for name in ([looped + "_unrolled"] if cfg.lstm_unroll else []) + [looped]:
        if name in RATES:
            return RATES[name][0], name
    one = cfg.batch_size / RATES["training"][0] * seq_len / 10
    return one * (RATES["tower_step_ratio"][0] if towers else 1.0), "training x tower_step_ratio, linear in S"


def trailer_seconds(n: int = TRAILERS, seed: int = 0) -> np.ndarray:
    """Trailer lengths with the paper's mean (5,000 frames at 25 fps: 200 s; ~2.7M keyframes), log-normal
    as the scale generator draws them (sd 0.35 in log), within 30-600 s."""
    mean = PAPER_MEAN_FRAMES / FPS
    x = np.clip(np.random.default_rng(seed).lognormal(np.log(mean) - 0.35 ** 2 / 2, 0.35, n), 30, 600)
    return x * mean / x.mean()


def windows(cfg, seconds: np.ndarray) -> dict[int, dict[str, int]]:
    """Per S: all windows, the training and the validation windows (03's split, on these lengths)."""
    n_key = np.ceil(seconds).astype(np.int64)
    index = pd.DataFrame({"youtube_id": np.arange(len(n_key)).astype(str),
                          "offset": np.r_[0, np.cumsum(n_key)[:-1]], "n_keyframes": n_key})
    trailers = index[["youtube_id"]].assign(movieId=np.arange(len(n_key)), genres="Drama", mean_rating=3.5)
    out = {}
    for S in cfg.sequence_lengths:
        data = SequenceData.build(FeatureCache(np.zeros((int(n_key.sum()), 1), np.float16), index), trailers, S,
                                  cfg.sequence_shift)
        train, val = data.split(cfg.val_share)
        out[S] = {"all": len(data.seq_offset), "train": len(train), "val": len(val)}
    return out


def network_bytes(cfg, heads, n_trailers: int) -> int:
    u, (big, small) = cfg.lstm_units, cfg.embedding_sizes
    params = 2 * 4 * u * (FEATURE_DIM + u + 1) + 2 * 4 * u * (2 * u + u + 1) + 2 * u * big + big + big * small + small
    head = {"rating": small * 64 + 64 + 64 * 32 + 32 + 33, "genre": small * 128 + 128 + 128 * 64 + 64 + 64 * 20 + 20,
            "trailer_id": small * 64 + 64 + 64 * n_trailers + n_trailers}
    params += sum(head[h] for h in heads)
    return 4 * params * 5  # last.keras (weights + 2 Adam moments), best.weights.h5, final.keras


def network_steps(cfg) -> tuple[dict, dict]:
    """Per S, (seconds, where from) of a step of one network and of the paper + leak-free pair (as
    towers, or one network's step twice)."""
    one = {S: step_seconds(cfg, S, False) for S in cfg.sequence_lengths}
    pair = {S: step_seconds(cfg, S, True) if cfg.train_towers else (2 * one[S][0], "2 x " + one[S][1])
            for S in cfg.sequence_lengths}
    return one, pair


def training_jobs(cfg, win: dict) -> dict[str, float]:
    """Notebook 03's seconds per network job: per S, the paper + leak-free networks (as towers, or one
    after the other), validated each epoch (each model forward only); the genre diagnostic(s)."""
    steps = lambda n: n / cfg.batch_size  # noqa: E731
    forward, epochs = RATES["forward_speedup"][0], cfg.max_epochs
    one, pair = network_steps(cfg)
    jobs = {f"S = {S}": epochs * (steps(win[S]["train"]) * pair[S][0] + 2 * steps(win[S]["val"]) * one[S][0] / forward)
            for S in cfg.sequence_lengths}
    S0 = cfg.sequence_lengths[0]  # one network per split, on (1 - share) of the trailers
    jobs["genre diagnostic"] = cfg.unseen_trailer_splits * epochs * one[S0][0] * (1 - cfg.unseen_trailer_share) * (
        steps(win[S0]["train"]) + steps(win[S0]["val"]) / forward)
    return jobs


def training_seconds(cfg, jobs: dict[str, float]) -> tuple[float, str]:
    """03's units one after the other, or on train_workers processes (longest first onto the least
    loaded) each slowed by the box's measured side_by_side_slowdown; unmeasured, one after the other."""
    if cfg.train_workers > 1 and "side_by_side_slowdown" in RATES:
        loads = [0.0] * min(cfg.train_workers, len(jobs))
        for seconds in sorted(jobs.values(), reverse=True):
            loads[loads.index(min(loads))] += seconds
        slowdown = RATES["side_by_side_slowdown"][0]
        return slowdown * max(loads), f"{len(loads)} processes side by side, each {slowdown:.2f}x slower"
    return sum(jobs.values()), ("one after the other" if cfg.train_workers == 1 else
                                "counted one after the other: side by side is not measured yet")


def side_by_side_lever(cfg) -> str:
    """03's networks side by side on one GPU, if the box measured their slowdown (bench_gpu_box.py
    side_by_side): at most the slowdown times the longest job, against today's sum."""
    if "side_by_side_slowdown" not in RATES:
        return ("Lever not measured yet: 03's networks side by side on one GPU "
                "(`device_check.sh side_by_side`, then project again).")
    jobs = training_jobs(cfg, windows(cfg, trailer_seconds()))
    slowdown = RATES["side_by_side_slowdown"][0]
    return (f"Lever, measured: 03's {len(jobs)} units side by side (slowdown {slowdown:.2f}x) would take at most "
            f"{slowdown * max(jobs.values()) / 60:.0f} min instead of {sum(jobs.values()) / 60:.0f} "
            f"(`--set train_workers={len(jobs)}`: each tower pair and the diagnostic in its own process).")


FM_MEASURED_RATINGS = 14_092_052  # the training ratings of the fold the box's fm rate was timed on


def fm_fit_seconds(cfg) -> float:
    """One FM fit of the profile's sweeps at ML20M's training size: the measured sweep, linear in ratings."""
    return cfg.fm_iters * RATES["fm"][0] * TRAIN_RATINGS / FM_MEASURED_RATINGS


def trained_rankers(cfg, folds: int, users: int) -> tuple[float, str]:
    """Notebook 10's rankers trained for top-N, per ranked fold: warm, EASE and ALS fit each grid point on the
    inner split and score its validation users, then refit and score the test users (whose top-K the
    setting's RANKED count holds); EASE's Gram matrix once per X (each positives value, and the refit). New
    movies: the maps' shared inner ALS fits, each scored for every source and ridge l2, a refit per source
    at most, and the ridges' SVDs (one per source and set of movies fitted to; the maps from it are cheap). Fits and inverses are multi-threaded (scaled to the box's cores as Eq. 1);
    the Gram matrix and EASE's sparse scores run on one thread (not scaled). The maps' validations rank
    only the held-out tenth of the movies: counted at the full ranking rate, an upper bound."""
    cores = cfg.n_workers
    ease_grid, als_grid = len(cfg.ease_l2) * len(cfg.ranking_positives), (
        len(cfg.als_l2) * len(cfg.als_alpha) * len(cfg.ranking_positives))
    sources, per_user = len(RANKED_EQ1), users / 1e3
    factor_scores, metrics = RATES["ranking_factor_scores"][0], RATES["ranking_metrics"][0]
    ease_scores = per_user * RATES["ranking_ease_scores"][0]
    ease = ((len(cfg.ranking_positives) + 1) * RATES["ranking_ease_gram"][0]
            + (ease_grid + 1) * on_cores("ranking_ease_fit", cores)
            + ease_grid * (ease_scores + per_user * metrics) + ease_scores)
    als_fit = on_cores("ranking_als_fit", cores)
    als = (als_grid + 1) * als_fit + als_grid * per_user * (factor_scores + metrics) + per_user * factor_scores
    svds = 2 * len(cfg.ranking_positives) * sources  # per source and positives: the inner and the full fold's
    maps = ((als_grid + sources) * als_fit + svds * RATES["ranking_map_fit"][0]
            + als_grid * sources * len(cfg.content_map_l2) * per_user * (factor_scores + metrics)
            + sources * per_user * factor_scores)
    what = (f"EASE ({ease_grid} + 1 fits), ALS ({als_grid} + 1) warm; the content maps' {als_grid} inner ALS fits, "
            f"<= {sources} refits, {als_grid * sources * len(cfg.content_map_l2)} validations per fold")
    return folds * (ease + als + maps), what


def stages(cfg, scale: dict) -> list[tuple[str, str, float, float]]:
    """(stage, how the time is made up, seconds, bytes written)."""
    seconds = trailer_seconds()
    keyframes = int(np.ceil(seconds).sum())
    win = windows(cfg, seconds)
    fetch, work = fetch_bound(cfg)
    api_requests = math.ceil(ML20M_YT_IDS / IDS_PER_REQUEST) + math.ceil(ML20M_YT_PUBLIC / IDS_PER_REQUEST)
    steps = lambda n: n / cfg.batch_size  # noqa: E731
    forward = RATES["forward_speedup"][0]
    epochs = cfg.max_epochs  # the bound: the two towers of a step train until the later one stops
    one, pair = network_steps(cfg)
    train, side_by_side = training_seconds(cfg, training_jobs(cfg, win))
    models = sum(2 * network_bytes(cfg, cfg.heads if m == "paper" else cfg.leakfree_heads, TRAILERS)
                 for S in cfg.sequence_lengths for m in ("paper", "leakfree"))
    models += cfg.unseen_trailer_splits * network_bytes(cfg, ("genre",), TRAILERS) // 2
    embed = sum(2 * steps(win[S]["all"]) * one[S][0] / forward for S in cfg.sequence_lengths)
    embed_bytes = sum(2 * win[S]["all"] * sum(cfg.embedding_sizes) * 4 for S in cfg.sequence_lengths)
    content_16, similarity = on_cores("content", cfg.n_workers), on_cores("similarity", cfg.n_workers)
    per_fold_matrices = RATES["frozen_mean_fold"][0] + RATES["random_similarity_fold"][0]
    # Table 1's Eq. 1 rows: 2 models x 2 sizes per S, genres and the tag genome (ML20M ships
    # genome-scores.csv), frozen_mean (its PCA and matrix per fold) and random similarities (a matrix per fold)
    n_trained = 2 * 2 * len(cfg.sequence_lengths)
    n_content = n_trained + 2 + 2
    n_content_09 = n_trained + 2  # 09's Eq. 1 rows: the trained embeddings, genres and frozen_mean
    fm_fit, compile_fm = fm_fit_seconds(cfg), RATES["fm_compile"][0]
    # the item-disjoint runs per fold: one per new-movie setting, or with cold_shared_fit the fully cold one
    # and one shared by the few-ratings settings (vt2lib.rating.cold_settings)
    cold_runs = 1 + (min(1, len(cfg.cold_n_ratings)) if cfg.cold_shared_fit else len(cfg.cold_n_ratings))
    # ids-only fits: FM ids in each cold run, and 5 side-feature sets (genres, trailer, genres + trailer, its
    # shuffled-trailer control, genres + frozen) in every run, warm included, each the mean of
    # fm_side_chains chains; a side-feature fit costs 1.5 (RESULTS.md); one compile per FM shape at most:
    # (ids + 5 side sets) per run (a chain reuses its shape's compile)
    chains = cfg.fm_side_chains
    side_fits_09 = 5 * (cold_runs + 1) * chains
    real_fits_09, fits_09 = cold_runs + side_fits_09, cold_runs + 1.5 * side_fits_09
    shapes_09 = cold_runs + 5 * (cold_runs + 1)
    folds_09 = min(cfg.n_folds, cfg.cold_start_folds or cfg.n_folds)
    folds_10 = min(cfg.n_folds, cfg.ranking_folds or cfg.n_folds)
    users_10 = min(cfg.ranking_users or USERS_WITH_A_HIT, USERS_WITH_A_HIT)
    trained_10, trained_what = trained_rankers(cfg, folds_10, users_10)
    # FM on ids and FM + genres + trailer (a side-feature sweep costs 1.5), each predicting the grid in every sweep:
    # the grid's cost (factor - 1 plain sweeps) does not grow with the side features
    ranking_fm = ((1 + 1.5) + 2 * (RATES["ranking_fm_factor"][0] - 1)) * fm_fit * chains
    pred_scale = scale.get("bytes", {})
    fold_factor = cfg.n_folds / max(1, scale.get("evaluated_folds", 2))
    return [
        ("01 clean", f"measured at ML20M size (scale run, 2 cores); availability and metadata from the YouTube "
         f"Data API ({api_requests} requests: their network time not included; without a key, oEmbed and a yt-dlp "
         f"session take {no_api_key_seconds() / 3600:.0f} h)", scale.get("01_clean_dataset", 120),
         pred_scale.get("01_clean_dataset", 0)),
        ("02 keyframes + features", f"{keyframes / 1e6:.2f}M keyframes: the slowest of decoding "
         f"{keyframes * FPS / 1e6:.0f}M frames ({cfg.n_workers} workers at {DECODE_RATE}), the features and fetching "
         f"(>= {fetch / 60:.0f} min: {cfg.download_threads} YouTube sessions, each a video every "
         f"{SESSION_SPACING_S:g} s at most; the network's own time comes on top), streamed; MobileNetV2's compile",
         max(work, fetch) + RATES["features_compile"][0],
         keyframes * FEATURE_DIM * FEATURE_BYTES * 2 + KEPT_TRAILERS * np.mean(seconds) * KEYFRAME_BYTES),
        ("03 training", f"{epochs} epochs (max_epochs) of " + ", ".join(
            f"{win[S]['train'] / 1e3:.0f}k training windows at S={S}" for S in cfg.sequence_lengths)
         + "; s/step " + ", ".join(f"S={S}: {pair[S][0] * 1e3:.1f} ms ({pair[S][1]})" for S in cfg.sequence_lengths)
         + f"; {cfg.unseen_trailer_splits} genre diagnostic(s); validation each epoch; the units {side_by_side}",
         train, models),
        ("04 embeddings", "2 models x every window, forward only", embed, embed_bytes),
        ("05 content-based", f"{n_content} Eq. 1 methods x {cfg.n_folds} folds x {content_16:.1f} s "
         f"({cfg.n_workers} cores); a similarity matrix per trained-embedding and metadata method "
         f"({similarity:.1f} s), per fold for frozen_mean (PCA) and random similarities ({per_fold_matrices:.0f} s)",
         n_content * cfg.n_folds * content_16 + (n_trained + 2) * similarity + cfg.n_folds * per_fold_matrices,
         pred_scale.get("05_content_based", 0) * fold_factor),
        ("06 FM", f"{cfg.n_folds} folds x {cfg.fm_iters} sweeps x {RATES['fm'][0]:g} s at {TRAIN_RATINGS / 1e6:.1f}M "
         "ratings; a compile", cfg.n_folds * fm_fit + compile_fm, pred_scale.get("06_libfm", 0) * fold_factor),
        ("07 fusion", "FM on each fold's inner split; the paper's and the leak-free content method there",
         cfg.n_folds * (fm_fit + 2 * content_16) + 2 * similarity + compile_fm,
         pred_scale.get("07_fusion", 0) * fold_factor),
        ("08 correlation", "measured at ML20M size (scale run)", scale.get("08_correlation", 30), 0),
        ("09 cold start + side features", f"{fits_09:g} ids-only FM fits' worth per fold ({real_fits_09} fits, "
         f"{chains} chain{'s' * (chains > 1)} per side-feature FM, each 1.5 an ids-only one) x {folds_09} of "
         f"{cfg.n_folds} "
         f"folds, <= {shapes_09} compiles; {n_content_09} content methods x {cold_runs} cold run"
         f"{'s' * (cold_runs > 1)} (a similarity matrix each; frozen_mean's per fold)"
         + (f"; the {len(cfg.cold_n_ratings)} few-ratings settings share a fit" if cfg.cold_shared_fit else ""),
         fits_09 * folds_09 * fm_fit + shapes_09 * compile_fm + n_content_09 * cold_runs * (
             folds_09 * content_16 + similarity) + cold_runs * folds_09 * RATES["frozen_mean_fold"][0],
         pred_scale.get("09_cold_start_and_side_features", 0) * fold_factor * folds_09 / cfg.n_folds),
        ("10 ranking", f"2 scorings (warm, new movies) x {folds_10} folds x {users_10:,} users x every movie: "
         f"{len(RANKED_EQ1)} Eq. 1 methods (frozen_mean's PCA per fold), FM on ids and FM + genres + trailer (1.5x), "
         f"{chains} chain{'s' * (chains > 1)} each, scoring every pair; {RANKED['warm']} methods' top-K warm, "
         f"{RANKED['new']} in each new-movie setting; 2 compiles per scoring; {trained_what}", 2 * folds_10 * (
             users_10 / 1e3 * len(RANKED_EQ1) * RATES["ranking_eq1"][0]
             + ranking_fm + len(RANKED_EQ1) * similarity + RATES["frozen_mean_fold"][0])
         + folds_10 * users_10 / 1e3 * (RANKED["warm"] + 2 * RANKED["new"]) * RATES["ranking_metrics"][0]
         + 4 * compile_fm + trained_10, 0),
    ]


def no_api_key_seconds() -> float:
    """01's YouTube requests without a Data API key: oEmbed per ML20M-YT id, then one paced yt-dlp
    session reading each public video's page (vt2lib.data.youtube_api)."""
    return ML20M_YT_IDS * OEMBED_INTERVAL_S + ML20M_YT_PUBLIC * SESSION_SPACING_S


def fetch_bound(cfg) -> tuple[float, float]:
    """02's fetching bound (a lower bound: each session, a thread, starts a video every SESSION_SPACING_S
    at most, YouTube's limit) and its time without it (the slower of decoding and the features)."""
    keyframes = np.ceil(trailer_seconds()).sum()
    fetch = TRAILERS * SESSION_SPACING_S / cfg.download_threads
    work = max(keyframes * FPS / (RATES[DECODE_RATE][0] * cfg.n_workers), keyframes / RATES["features"][0])
    return fetch, work


def video_window_bytes(cfg) -> float:
    """The videos on disk at once, at most: the window of the longest trailers (keep_videos false), else all."""
    if cfg.keep_videos:
        return TRAILERS * PAPER_MEAN_FRAMES / FPS * VIDEO_BYTES_PER_SECOND
    return cfg.video_window * cfg.max_trailer_seconds * VIDEO_BYTES_PER_SECOND


def free_value(unit: str) -> float:
    """The value of a rate in `unit` at which its work costs nothing."""
    if unit == "s" or unit.startswith("s/"):  # seconds per thing
        return 0.0
    if unit == "x a fit":  # a fit's cost with extra work (10's grid), in plain fits: 1 when the extra is free
        return 1.0
    return np.inf  # things per second; a speed-up ("x")


def assumed_shares(cfg, scale: dict) -> dict[str, float]:
    """Per assumed rate: the share of the total that goes if its work were free."""
    total = sum(r[2] for r in stages(cfg, scale))
    out = {}
    for name in [n for n in RATES if is_assumed(n)]:
        kept = RATES[name]
        RATES[name] = (free_value(kept[1]), kept[1], kept[2])
        try:
            out[name] = 1 - sum(r[2] for r in stages(cfg, scale)) / total
        finally:
            RATES[name] = kept
    return out


def read_scale(path: Path) -> dict:
    if not path.is_file():
        return {}
    prov = json.loads(path.read_text())
    out = {k: v["seconds"] for k, v in prov.get("notebooks", {}).items()}
    out["bytes"] = prov.get("bytes_written", {})
    out["evaluated_folds"] = prov.get("profile", {}).get("evaluate_folds") or 2
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", type=Path, nargs="*", default=[],
                    help="rates.json files (device_check.sh, bench_gpu_box.py, bench_decoding.py, "
                         f"bench_fold_matrices.py) read after {MEASURED_ON_THE_BOX.name} (measured on the box) and "
                         f"{MEASURED_HERE.name} (measured here); a later file's rate replaces an earlier one's")
    ap.add_argument("--scale", type=Path, default=Path(__file__).with_name("scale_run.json"),
                    help="provenance.json of a scale run (default: the one RESULTS.md reports)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="project ml20m with a field changed (repeatable), e.g. --set cold_start_folds=2: "
                         "a lever's cost")
    args = ap.parse_args(argv)
    for path in [MEASURED_ON_THE_BOX, MEASURED_HERE, *args.rates]:
        read_rates(path)
    cfg, scale = load_profile("ml20m", dict(parse_override(t) for t in args.set)), read_scale(args.scale)
    if args.set:
        print(f"Profile `{cfg.name}`.\n")
    shares = assumed_shares(cfg, scale)
    print("| rate | value | where | share of the total if assumed |\n|---|---|---|---|")
    for name, (value, unit, where) in RATES.items():
        share = f"{shares[name]:.1%}{' (over 5 %)' if shares[name] > 0.05 else ''}" if name in shares else ""
        print(f"| {name} | {value:,.4g} {unit} | {where} | {share} |")
    print(f"| epochs | {cfg.max_epochs} | the profile's bound (max_epochs): early stopping only shortens it | |")
    rows = stages(cfg, scale)
    print("\n| stage | work | time | disk written |\n|---|---|---|---|")
    for stage, work, seconds, written in rows:
        print(f"| {stage} | {work} | {seconds / 60:.0f} min | {written / 2**30:.1f} GiB |")
    total, written = sum(r[2] for r in rows), sum(r[3] for r in rows)
    videos = video_window_bytes(cfg)
    peak = written + videos + DATA_BYTES
    print(f"| **01-10** | | **{total / 3600:.2f} h** (target <= 1.7 h: {'met' if total <= 1.7 * 3600 else 'NOT met'}) "
          f"| **{written / 2**30:.0f} GiB** |")
    window = f"video_window {cfg.video_window} x {cfg.max_trailer_seconds:.0f} s"
    held = "every video kept" if cfg.keep_videos else window
    print(f"\nPeak disk: {written / 2**30:.1f} GiB written + {videos / 2**30:.1f} GiB of videos ({held}"
          f" at <= {VIDEO_BYTES_PER_SECOND * 8 / 1e6:g} Mbit/s) + {DATA_BYTES / 2**30:.1f} GiB of ML20M = "
          f"**{peak / 2**30:.0f} GiB** (target <= 64 GiB: {'met' if peak <= 64 * 2**30 else 'NOT met'}).")
    fetch, work = fetch_bound(cfg)
    if fetch > work:
        print(f"02 waits on YouTube: {fetch / 3600:.1f} h of fetching ({cfg.download_threads} sessions paced under "
              f"YouTube's limit) against {work / 60:.0f} min of decoding and features. With 02 run beforehand on "
              f"a machine with internet (README: 02 on another machine), the box runs 01 and 03-10 in "
              f"{sum(r[2] for r in rows if not r[0].startswith('02')) / 3600:.2f} h; the paper's notebooks among "
              f"them (01, 03-08) in "
              f"{sum(r[2] for r in rows if r[0][:2] in PAPER_NOTEBOOKS) / 3600:.2f} h, 09 and 10 (beyond the paper) "
              f"in {sum(r[2] for r in rows if r[0][:2] in ('09', '10')) / 3600:.2f} h.")
    over = [n for n, share in shares.items() if share > 0.05]
    print(f"Assumed rates carrying more than 5 % of the total: {', '.join(over) if over else 'none'}.")
    print(side_by_side_lever(cfg))


if __name__ == "__main__":
    main()
