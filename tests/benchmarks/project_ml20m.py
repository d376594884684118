"""Project the `ml20m` run (notebooks 01-09) onto one GPU box from measured rates.

    .venv/bin/python tests/benchmarks/project_ml20m.py [--rates device_output.txt] [--scale runs/scale/provenance.json]

The work of each stage comes from ML20M's sizes (the paper, the authors' files) and the `ml20m`
profile (folds, sweeps, sequence lengths, models, notebook 09's settings), so a changed profile
changes the projection. The rates are measurements, each with where it was measured:
`--rates` takes the `RATE <stage> <value> <unit>` lines of bench_gpu_box.py / device_scale.sh and
replaces the defaults below; `--scale` takes the measured seconds of the CPU-bound notebooks
from a `./run_all.sh scale` run (same data sizes). Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from vt2lib.config import load_profile  # noqa: E402

# ML20M at the paper's scale (Table 2, the authors' availability files).
TRAILERS = 13_571            # usable trailers after cleaning (Table 2)
TRAILER_SECONDS = 150        # mean trailer length: 1 keyframe per second
FPS = 25
RATINGS = 16_770_000         # after cleaning; a fold trains on 90 %

# rate: (value, unit, where it was measured). Replaced by --rates lines of the same stage.
RATES = {
    "decode": (4_000, "frames/s per core", "ESTIMATE: 1,018 frames/s per core measured here on 720p; "
               "yt-dlp fetches >= 240p (about 4x fewer pixels)"),
    "features": (35_000, "keyframes/s", "GPU box (issue 13's measurement: MobileNetV2 224x224, mixed precision)"),
    "training": (3_700, "sequences/s", "GPU box (issue 13's measurement: S = 10, batch 32)"),
    "fm": (0.1, "s/sweep", "TARGET, not measured (no GPU lent): JAX sampler, rank 32; CPU here: 14.5 s"),
    "content": (6.4, "s/fold", "measured here (2 cores, bench_content_based.py, ML20M-sized fold)"),
}
# The JAX sampler draws item side features on per-item sums: a fit with side features costs this
# many ids-only fits, whatever its number of columns (bench_fm.py --side, CPU; RESULTS.md).
SIDE_FIT_COST = 1.5


def read_rates(path: Path) -> None:
    for line in path.read_text().splitlines():
        m = re.match(r"RATE (\w+) ([\d.e+-]+) (\S+)\s*(.*)", line.strip())
        if m:
            RATES[m[1]] = (float(m[2]), m[3], f"measured: {m[4]} ({path.name})")


def side_by_side_seconds(works: list[float], workers: int, one: float, together: float) -> float:
    """Wall time of networks trained `workers` at a time, longest first (notebook 03 on ml20m).

    `works`: each network's seconds alone; `one`, `together`: sequences/s of one network alone and
    of `workers` networks at once (bench_gpu_box.py). With m running, they share a rate
    interpolated between the two, so the last networks, left alone, run at the one-network rate."""
    queue, running, t = sorted(works, reverse=True), [], 0.0
    rounding = 1e-9 * max(works, default=0.0)  # what is left of a finished network
    while queue or running:
        while queue and len(running) < workers:
            running.append(queue.pop(0))
        m = len(running)
        shared = one + (together - one) * (m - 1) / max(1, workers - 1)
        speed = shared / m / one  # seconds of a network's solo work done per second
        step = min(running) / speed
        t += step
        running = [w - step * speed for w in running if w - step * speed > rounding]
    return t


def stages(cfg, scale_seconds: dict) -> list[tuple[str, str, float]]:
    """(stage, how the time is made up, seconds)."""
    decode, _, _ = RATES["decode"]
    keyframes = TRAILERS * TRAILER_SECONDS
    n_seq = {S: TRAILERS * ((TRAILER_SECONDS - S) // cfg.sequence_shift + 1) for S in cfg.sequence_lengths}
    train_rate = RATES["training"][0]
    # networks per S: the paper's and the leak-free model; the genre diagnostic once (first S)
    networks = [(S, m) for S in cfg.sequence_lengths for m in ("paper", "leakfree")]
    networks.append((cfg.sequence_lengths[0], "genre"))
    epoch = {S: n_seq[S] / (train_rate * 10 / S) for S in cfg.sequence_lengths}  # time steps scale the LSTM cost
    works = [cfg.max_epochs * epoch[S] for S, _ in networks]
    if "training_side_by_side" in RATES and cfg.train_workers > 1:
        together = RATES["training_side_by_side"][0]
        train_seconds = side_by_side_seconds(works, cfg.train_workers, train_rate, together)
        train_how = f"; {cfg.train_workers} side by side at {together:,.0f} sequences/s together"
    else:
        train_seconds, train_how = sum(works), "; one after the other (side by side: rate not measured)"
    n_content = 2 * 2 * len(cfg.sequence_lengths) + 2          # embedding variants x 2 models + metadata + random
    settings_09 = len(cfg.cold_n_ratings) + 2                  # fully cold, each cold_n_ratings, warm
    fm_fit = cfg.fm_iters * RATES["fm"][0]
    # ids only in the cold settings (its warm row is 06's); genres, trailer, genres + trailer in all
    fits_09 = (settings_09 - 1) + 3 * SIDE_FIT_COST * settings_09  # in ids-only fits
    content_09 = (n_content - 1) * (settings_09 - 1) * cfg.n_folds * RATES["content"][0]  # warm rows are 05's
    rows = [
        ("01 clean", "measured at ML20M size (scale run, 2 cores)", scale_seconds.get("01_clean_dataset", 60)),
        ("02 keyframes", f"{keyframes * FPS / 1e6:.0f}M frames decoded / ({decode:,.0f} x {cfg.n_workers} workers)",
         keyframes * FPS / (decode * cfg.n_workers)),
        ("02 features", f"{keyframes / 1e6:.1f}M keyframes / {RATES['features'][0]:,.0f} per s",
         keyframes / RATES["features"][0]),
        ("03 training", f"{len(networks)} networks x {cfg.max_epochs} epochs (max) of "
         + ", ".join(f"{n_seq[S] / 1e3:.0f}k S={S} sequences" for S in cfg.sequence_lengths) + train_how, train_seconds),
        ("04 embeddings", "2 models x every sequence, forward only (~3x the training rate)",
         sum(2 * n_seq[S] / (3 * train_rate * 10 / S) for S in cfg.sequence_lengths)),
        ("05 content-based", f"{n_content} Eq. 1 methods x {cfg.n_folds} folds x {RATES['content'][0]:.1f} s",
         n_content * cfg.n_folds * RATES["content"][0]),
        ("06 FM", f"{cfg.n_folds} folds x {cfg.fm_iters} sweeps x {RATES['fm'][0]:g} s", cfg.n_folds * fm_fit),
        ("07 fusion", f"FM on {cfg.n_folds} inner splits + one content method",
         cfg.n_folds * (fm_fit + RATES["content"][0])),
        ("08 correlation", "measured at ML20M size (scale run)", scale_seconds.get("08_correlation", 30)),
        ("09 cold start + side features",
         (f"{fits_09:.1f} ids-only FM fits per fold ({settings_09} settings; the warm ids-only FM and content "
          f"rows are 06's and 05's) x {cfg.n_folds} folds x {cfg.fm_iters} sweeps; {n_content - 1} content "
          f"methods x {settings_09 - 1} cold settings"),
         fits_09 * cfg.n_folds * fm_fit + content_09),
    ]
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", type=Path)
    ap.add_argument("--scale", type=Path, default=Path("runs/scale/provenance.json"))
    args = ap.parse_args(argv)
    if args.rates:
        read_rates(args.rates)
    scale = json.loads(args.scale.read_text()).get("notebooks", {}) if args.scale.is_file() else {}
    cfg = load_profile("ml20m")
    print("| rate | value | where |\n|---|---|---|")
    for name, (value, unit, where) in RATES.items():
        print(f"| {name} | {value:,g} {unit} | {where} |")
    rows = stages(cfg, {k: v["seconds"] for k, v in scale.items()})
    print("\n| stage | work | projected |\n|---|---|---|")
    for stage, work, seconds in rows:
        print(f"| {stage} | {work} | {seconds / 60:.0f} min |")
    total = sum(s for _, _, s in rows)
    print(f"| **01-09** | | **{total / 3600:.1f} h** |")
    print(f"\nTrailer download (yt-dlp, listed apart): {TRAILERS:,} videos; at ~8 MB each and ~10 MB/s in all "
          f"(8 parallel downloads, YouTube's per-stream throttling) about {TRAILERS * 8 / 10 / 3600:.1f} h.")


if __name__ == "__main__":
    main()
