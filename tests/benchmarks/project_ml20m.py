"""Project `./run_all.sh ml20m` (notebooks 01-10) onto one GPU box, from measured rates only.

    .venv/bin/python tests/benchmarks/project_ml20m.py [--rates rates.json] [--scale runs/scale/provenance.json]

The work of each stage comes from ML20M's sizes and the `ml20m` profile (folds, sweeps,
sequence lengths, models, towers, notebook 09's settings), so a changed profile changes the
projection. Every rate is labelled where it comes from:
- "measured: <machine>, <script>": `--rates` takes the rates.json that device_check.sh (or
  bench_gpu_box.py with VT2_RATES_JSON) writes and replaces the defaults below;
- "measured on the GPU box (issue 22)": the numbers issue 22 reports from an H200 box;
- "assumed: <why>": not measured anywhere yet.
`--scale` takes the seconds and bytes of the notebooks that a `./run_all.sh scale` run measured
at ML20M's sizes (01, 08; the bytes of 05-09's predictions). Prints Markdown tables.
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
from vt2lib.profiles import load_profile
from vt2lib.embedding.training import SequenceData  # noqa: E402
from vt2lib.video.features import FeatureCache  # noqa: E402

TRAILERS = 13_571      # usable trailers after cleaning (Table 2)
FPS = 25
FEATURE_DIM, FEATURE_BYTES = 1280, 2  # MobileNetV2's pooled features, stored as float16
KEYFRAME_BYTES = 224 * 224 * 3
KEPT_TRAILERS = 40     # raw keyframes kept: the strip's 8 candidates and the PCA groups' ~30 movies

# name: (value, unit, where). --rates replaces entries of the same name.
RATES = {
    "decode": (4_000, "frames/s per core", "assumed: 1,018-1,128 frames/s per core measured here on 720p "
               "(bench_keyframes.py); yt-dlp fetches >= 240p, ~9x fewer pixels, and decoding is not all pixels"),
    "features": (35_000, "keyframes/s", "measured on the GPU box (issue 22): MobileNetV2 224x224, mixed precision"),
    "training": (3_677, "sequences/s", "measured on the GPU box (issue 22): S = 10, batch 32"),
    "tower_step_ratio": (1.17, "x", "assumed: a 2-tower step as one step at batch 64, interpolated between "
                         "the box's batch-32 (3,677/s) and batch-256 (13,238/s) rates (issue 22); CPU here: 2.15"),
    "fm": (0.064, "s/sweep", "measured on the GPU box (issue 22): exact parallel Gibbs sweep, rank 32, 15.7M ratings"),
    "content": (8.18, "s/fold", "measured here: 2 cores, bench_gpu_box.py content (Eq. 1 on an ML20M-sized fold, "
                "1.57M test pairs, 256-d vectors)"),
    "content_core_scaling": (1.43, "x per doubling of cores", "measured here: 11.71 s on 1 core, 8.18 s on 2 "
                             "(NUMBA_NUM_THREADS); assumed to go on at that rate up to the box's 16 cores"),
    "ranking_eq1": (4.13, "s/1000 users", "measured here: 2 cores beside other work, bench_ranking.py (Eq. 1 of "
                    "users x 13,600 movies, a sparse x dense product; scipy's is single-threaded: not scaled)"),
    "ranking_metrics": (0.53, "s/1000 users", "measured here: 2 cores beside other work, bench_ranking.py (top-20 "
                        "of 13,600 movies)"),
    "similarity": (4.32, "s/method", "measured here: 2 cores, bench_gpu_box.py content (13,600 x 13,600 cosine "
                   "matrix, built once per method; 5.10 s on 1 core), not scaled to the box"),
}
USERS_WITH_A_HIT = 120_000  # assumed: ML20M's users with a test rating >= 4 in a fold (of 138,493)
RANKED, RANKED_EQ1 = 7, ("metadata", "trained embedding", "frozen_mean")   # notebook 10's methods
THREADS = {"content": 2, "similarity": 2}  # the threads a CPU rate above ran on (a rates.json may say others)
MEASURED_ON_THE_BOX = Path(__file__).with_name("rates_h200.json")  # device_check.sh's rates, merged (RESULTS.md)
EPOCHS = 11  # the paper: convergence after 8-9 epochs, then patience 2 -> 10-11 epochs (max_epochs 16 caps it)
FORWARD_SPEEDUP = 3.0  # assumed: a forward pass (validation, 04) costs a third of a training step per window


def read_rates(path: Path) -> None:
    for name, r in json.loads(Path(path).read_text()).items():
        RATES[name] = (float(r["value"]), r["unit"], f"{r['where']}: {r.get('note', '')}".rstrip(": "))
        if "threads" in r:
            THREADS[name] = int(r["threads"])


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
    """Trailer lengths as the scale generator draws them (log-normal around 140 s, 30-590 s): ~2.0M keyframes."""
    return np.clip(np.random.default_rng(seed).lognormal(np.log(140), 0.35, n), 30, 590)


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


def stages(cfg, scale: dict) -> list[tuple[str, str, float, float]]:
    """(stage, how the time is made up, seconds, bytes written)."""
    seconds = trailer_seconds()
    keyframes = int(np.ceil(seconds).sum())
    win = windows(cfg, seconds)
    decode = RATES["decode"][0] * cfg.n_workers
    steps = lambda n: n / cfg.batch_size  # noqa: E731
    epochs = min(EPOCHS, cfg.max_epochs)
    one = {S: step_seconds(cfg, S, False) for S in cfg.sequence_lengths}
    pair = {S: step_seconds(cfg, S, True) if cfg.train_towers else (2 * one[S][0], "2 x " + one[S][1])
            for S in cfg.sequence_lengths}
    # per S: paper + leak-free (as towers, or one after the other); validation: each model forward only
    train = sum(epochs * (steps(win[S]["train"]) * pair[S][0] + 2 * steps(win[S]["val"]) * one[S][0] / FORWARD_SPEEDUP)
                for S in cfg.sequence_lengths)
    S0 = cfg.sequence_lengths[0]  # the genre diagnostic: one network per split, on (1 - share) of the trailers
    train += cfg.unseen_trailer_splits * epochs * one[S0][0] * (1 - cfg.unseen_trailer_share) * (
        steps(win[S0]["train"]) + steps(win[S0]["val"]) / FORWARD_SPEEDUP)
    models = sum(2 * network_bytes(cfg, cfg.heads if m == "paper" else cfg.leakfree_heads, TRAILERS)
                 for S in cfg.sequence_lengths for m in ("paper", "leakfree"))
    models += cfg.unseen_trailer_splits * network_bytes(cfg, ("genre",), TRAILERS) // 2
    embed = sum(2 * steps(win[S]["all"]) * one[S][0] / FORWARD_SPEEDUP for S in cfg.sequence_lengths)
    embed_bytes = sum(2 * win[S]["all"] * sum(cfg.embedding_sizes) * 4 for S in cfg.sequence_lengths)
    content_16, similarity = on_cores("content", cfg.n_workers), on_cores("similarity", cfg.n_workers)
    n_content = 2 * 2 * len(cfg.sequence_lengths) + 3   # embedding variants x 2 models + metadata, frozen, random
    fm_fit = cfg.fm_iters * RATES["fm"][0]
    settings_09 = len(cfg.cold_n_ratings) + 2            # fully cold, each cold_n_ratings, warm
    # ids-only fits: FM ids in each cold setting, and 4 side-feature sets (genres, trailer, genres + trailer,
    # genres + frozen) in every setting, warm included; a side-feature fit costs 1.5 (RESULTS.md)
    fits_09 = (settings_09 - 1) + 4 * 1.5 * settings_09
    folds_09 = min(cfg.n_folds, cfg.cold_start_folds or cfg.n_folds)
    folds_10 = min(cfg.n_folds, cfg.ranking_folds or cfg.n_folds)
    users_10 = min(cfg.ranking_users or USERS_WITH_A_HIT, USERS_WITH_A_HIT)
    pred_scale = scale.get("bytes", {})
    fold_factor = cfg.n_folds / max(1, scale.get("evaluated_folds", 2))
    return [
        ("01 clean", "measured at ML20M size (scale run, 2 cores)", scale.get("01_clean_dataset", 120),
         pred_scale.get("01_clean_dataset", 0)),
        ("02 keyframes + features", f"{keyframes / 1e6:.2f}M keyframes: the slower of decoding {keyframes * FPS / 1e6:.0f}M "
         f"frames ({cfg.n_workers} workers) and the features; streamed, so not their sum",
         max(keyframes * FPS / decode, keyframes / RATES["features"][0]),
         keyframes * FEATURE_DIM * FEATURE_BYTES * 2 + KEPT_TRAILERS * np.mean(seconds) * KEYFRAME_BYTES),
        ("03 training", f"{epochs} epochs of " + ", ".join(f"{win[S]['train'] / 1e3:.0f}k training windows at S={S}"
                                                           for S in cfg.sequence_lengths)
         + "; s/step " + ", ".join(f"S={S}: {pair[S][0] * 1e3:.1f} ms ({pair[S][1]})" for S in cfg.sequence_lengths)
         + f"; {cfg.unseen_trailer_splits} genre diagnostic(s); validation each epoch", train, models),
        ("04 embeddings", "2 models x every window, forward only", embed, embed_bytes),
        ("05 content-based", f"{n_content} Eq. 1 methods x {cfg.n_folds} folds x {content_16:.1f} s "
         f"({cfg.n_workers} cores), one similarity matrix per method ({similarity:.1f} s)",
         n_content * (cfg.n_folds * content_16 + similarity),
         pred_scale.get("05_content_based", 0) * fold_factor),
        ("06 FM", f"{cfg.n_folds} folds x {cfg.fm_iters} sweeps x {RATES['fm'][0]:g} s", cfg.n_folds * fm_fit,
         pred_scale.get("06_libfm", 0) * fold_factor),
        ("07 fusion", "FM on each fold's inner split + one content method",
         cfg.n_folds * (fm_fit + content_16) + similarity,
         pred_scale.get("07_fusion", 0) * fold_factor),
        ("08 correlation", "measured at ML20M size (scale run)", scale.get("08_correlation", 30), 0),
        ("09 cold start + side features", f"{fits_09:.1f} ids-only FM fits per fold x {folds_09} of {cfg.n_folds} "
         f"folds; {n_content - 1} content methods x {settings_09 - 1} cold settings (a similarity matrix each)",
         fits_09 * folds_09 * fm_fit + (n_content - 1) * (settings_09 - 1) * (folds_09 * content_16 + similarity),
         pred_scale.get("09_cold_start_and_side_features", 0) * fold_factor * folds_09 / cfg.n_folds),
        ("10 ranking", f"2 settings x {folds_10} folds x {users_10:,} users x every movie: {len(RANKED_EQ1)} Eq. 1 "
         f"methods, 2 FM fits (each sweep also predicts the users x movies: assumed to double it), "
         f"{RANKED} methods' top-K", 2 * folds_10 * (
             users_10 / 1e3 * (len(RANKED_EQ1) * RATES["ranking_eq1"][0] + RANKED * RATES["ranking_metrics"][0])
             + 2 * 2 * fm_fit + len(RANKED_EQ1) * similarity), 0),
    ]


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
    ap.add_argument("--rates", type=Path, nargs="*", default=[MEASURED_ON_THE_BOX],
                    help="rates.json files of device_check.sh / bench_gpu_box.py, later ones win "
                         f"(default: {MEASURED_ON_THE_BOX.name}, measured on the box)")
    ap.add_argument("--scale", type=Path, default=Path(__file__).with_name("scale_run.json"),
                    help="provenance.json of a scale run (default: the one RESULTS.md reports)")
    args = ap.parse_args(argv)
    for path in args.rates:
        read_rates(path)
    cfg = load_profile("ml20m")
    print("| rate | value | where |\n|---|---|---|")
    for name, (value, unit, where) in RATES.items():
        print(f"| {name} | {value:,.4g} {unit} | {where} |")
    print(f"| epochs | {min(EPOCHS, cfg.max_epochs)} | assumed: the paper's 8-9 to convergence + patience 2 |")
    rows = stages(cfg, read_scale(args.scale))
    print("\n| stage | work | time | disk written |\n|---|---|---|---|")
    for stage, work, seconds, written in rows:
        print(f"| {stage} | {work} | {seconds / 60:.0f} min | {written / 2**30:.1f} GiB |")
    total, disk = sum(r[2] for r in rows), sum(r[3] for r in rows)
    print(f"| **01-10** | | **{total / 3600:.2f} h** (target <= 2 h: {'met' if total <= 7200 else 'NOT met'}) "
          f"| **{disk / 2**30:.0f} GiB** (target <= 64 GiB: {'met' if disk <= 64 * 2**30 else 'NOT met'}) |")
    print(f"\nNot counted: the trailer download (yt-dlp) and the videos on disk, ~{TRAILERS * 8 / 1e3:.0f} GB at "
          "~8 MB each (`keep_videos = false` deletes each once its features are stored).")


if __name__ == "__main__":
    main()
