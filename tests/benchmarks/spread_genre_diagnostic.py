"""The spread of 03's learned numbers over seeds and machine settings: what a test bound must allow.

The genre AUC on unseen trailers (the diagnostic networks), and with --paper-model the paper
model's validation numbers (genre AUC and trailer-id top-5 on the validation tails).

Run after notebooks 01-02 of a profile (the demo test's: S = 10, at most 8 epochs), once per
machine setting whose rounding differs (TensorFlow's oneDNN for the features of 02, 1 or 2
threads); each seed draws its own held-out splits, initialisation and batch order, on the
features of that setting:

    VT2_OUTPUT_ROOT=/tmp/d0 TF_ENABLE_ONEDNN_OPTS=0 ./run_all.sh /tmp/demo_s10.toml --only 01,02
    VT2_OUTPUT_ROOT=/tmp/d0 TF_ENABLE_ONEDNN_OPTS=0 .venv/bin/python \\
        tests/benchmarks/spread_genre_diagnostic.py /tmp/demo_s10.toml --seeds 42 1 2 3 4 --out d0.json
    .venv/bin/python tests/benchmarks/spread_genre_diagnostic.py --summary d0.json d1.json ...

The networks are trained into a temporary folder, not the store, so the profile's own run is
left as it was. Numbers: tests/benchmarks/RESULTS.md ("genre diagnostic spread").
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def diagnostic_auc(profile: str, seed: int) -> dict:
    from vt2lib.config import diagnostic_models
    from vt2lib.profiles import load_profile
    from vt2lib.embedding.training import model_config, sequence_data_for, train
    from vt2lib.embedding.validation import genre_auc_unseen_trailers, unseen_trailer_inputs
    cfg = load_profile(profile)
    data = sequence_data_for(cfg, cfg.sequence_lengths[0])  # the stored features of this profile
    cfg_seed = dataclasses.replace(cfg, seed=seed)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        trained = [train(model_config(cfg_seed, model), *unseen_trailer_inputs(cfg_seed, data, part)[:2],
                         Path(tmp) / model, progress=False)
                   for part, model in enumerate(diagnostic_models(cfg_seed))]
        out = genre_auc_unseen_trailers(cfg_seed, data, trained)
    return {"seed": seed, "seconds": round(time.time() - start, 1), **out}


def paper_model_quality(profile: str, seed: int) -> dict:
    """The paper model of the first S, trained as 03 trains it but with `seed`: its validation numbers."""
    from vt2lib.profiles import load_profile
    from vt2lib.embedding.training import model_config, sequence_data_for, train
    from vt2lib.embedding.validation import evaluate_heads
    cfg = load_profile(profile)
    data = sequence_data_for(cfg, cfg.sequence_lengths[0])
    cfg_seed = model_config(dataclasses.replace(cfg, seed=seed), "paper")
    split = data.split(cfg.val_share)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        result = train(cfg_seed, data, split, Path(tmp) / "paper", progress=False)
        quality = evaluate_heads(result.model, data, split[1], cfg_seed.heads)
    return {"seed": seed, "seconds": round(time.time() - start, 1), "val_genre_auc": quality["genre_auc"],
            "val_id_top5": quality["id_top5"], "val_id_chance_top5": quality["id_chance_top5"]}


def summary(files: list[str]) -> None:
    rows = [dict(r, setting=Path(f).stem) for f in files for r in json.loads(Path(f).read_text())]
    if "val_id_top5" in rows[0]:
        for key in ("val_genre_auc", "val_id_top5"):
            v = np.array([r[key] for r in rows])
            print(f"{key} over {len(v)} runs: mean {v.mean():.4f}, sd {v.std(ddof=1):.4f}, min {v.min():.4f}, "
                  f"mean - 3 sd {v.mean() - 3 * v.std(ddof=1):.4f}")
        print(f"chance top-5: {rows[0]['val_id_chance_top5']:.4f}")
        return
    _diagnostic_summary(rows)


def _diagnostic_summary(rows: list[dict]) -> None:
    mean = np.array([np.mean(r["genre_auc_per_split"]) for r in rows])  # what 03 records
    single = np.array([a for r in rows for a in r["genre_auc_per_split"]])
    for r, m in zip(rows, mean):
        print(f"{r['setting']:>12} seed {r['seed']:>3}: mean {m:.4f}  per split "
              f"{' '.join(f'{a:.3f}' for a in r['genre_auc_per_split'])}  ({r['seconds']:.0f} s)")
    print(f"mean over splits, {len(mean)} runs: mean {mean.mean():.4f}, sd {mean.std(ddof=1):.4f}, "
          f"min {mean.min():.4f}, mean - 3 sd {mean.mean() - 3 * mean.std(ddof=1):.4f}")
    print(f"one split alone, {len(single)} networks: mean {single.mean():.4f}, sd {single.std(ddof=1):.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile", nargs="?")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    ap.add_argument("--out", help="JSON file for the rows")
    ap.add_argument("--summary", nargs="+", help="print the spread over these JSON files")
    ap.add_argument("--paper-model", action="store_true", help="the paper model's validation numbers instead")
    args = ap.parse_args()
    if args.summary:
        return summary(args.summary)
    rows = []
    for seed in args.seeds:
        rows.append((paper_model_quality if args.paper_model else diagnostic_auc)(args.profile, seed))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    print(f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS')} XLA_FLAGS={os.environ.get('XLA_FLAGS')}")


if __name__ == "__main__":
    main()
