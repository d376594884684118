"""Test-only: train the paper and leak-free networks alone and as towers on the JAX backend.

The pytest process runs Keras on TensorFlow (conftest.IN_PROCESS_KERAS: Keras fixes its backend
at first import), while ml20m trains the towers on JAX with unrolled LSTMs; tests/test_towers.py
runs this file in a subprocess with KERAS_BACKEND=jax. Prints one JSON line:

    python tests/towers_on_jax.py OUT_DIR --unroll 1
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

GENRES = ["Action|Drama", "Comedy", "(no genres listed)", "Horror", "Drama", "Sci-Fi"]
# 12 trailers x 16 windows: ~150 training windows, 5 steps of 32 per epoch; a learning rate 10x
# the paper's and patience 1 make the towers (the paper's has the rating head, the leak-free
# one not) stop epochs apart
DATA_SEED = 2  # with these settings the paper tower stops after 3 epochs, the leak-free one after 7
SEQ_LEN = 5  # short windows: the unrolled LSTMs compile in half the time of S = 10, and unroll all the same
SETTINGS = dict(lstm_units=8, max_epochs=8, patience=1, learning_rate=3e-3)


def toy_data(n_trailers=12, n_key=80, dim=12, seed=0, seq_len=SEQ_LEN):
    """Random keyframe features of `n_trailers` trailers with genres and mean ratings; windows of
    `seq_len` keyframes shifted by 5 (also the model tests' toy data: tests/test_model.py)."""
    from vt2lib.embedding.training import SequenceData
    from vt2lib.video.features import FeatureCache
    rng = np.random.default_rng(seed)
    feats = rng.normal(size=(n_trailers * n_key, dim)).astype(np.float16)
    ids = [f"t{k}" for k in range(n_trailers)]
    cache = FeatureCache(feats, pd.DataFrame({"youtube_id": ids, "offset": np.arange(n_trailers) * n_key,
                                              "n_keyframes": n_key}))
    trailers = pd.DataFrame({"youtube_id": ids, "movieId": np.arange(n_trailers) + 1,
                             "genres": [GENRES[k % len(GENRES)] for k in range(n_trailers)],
                             "mean_rating": rng.uniform(2, 4.5, n_trailers)})
    return SequenceData.build(cache, trailers, seq_len, 5)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--unroll", type=int, choices=(0, 1), required=True)
    ap.add_argument("--data-seed", type=int, default=DATA_SEED)
    args = ap.parse_args(argv)
    from vt2lib.embedding.towers import train_towers
    from vt2lib.embedding.training import model_config, train
    from vt2lib.profiles import load_profile
    base = dataclasses.replace(load_profile("smoke"), keras_backend="jax", lstm_unroll=bool(args.unroll), **SETTINGS)
    cfgs = {m: model_config(base, m) for m in ("paper", "leakfree")}
    data = toy_data(seed=args.data_seed)
    split = data.split(0.2)
    alone = {m: train(c, data, split, args.out / m, progress=False) for m, c in cfgs.items()}
    towers = train_towers(cfgs, data, split, {m: args.out / f"t_{m}" for m in cfgs}, progress=False)
    import keras
    report = {"backend": keras.backend.backend(), "unroll": bool(args.unroll),
              "steps_per_epoch": int(np.ceil(len(split[0]) / base.batch_size))}
    for m in cfgs:
        a, t = alone[m], towers[m]
        report[m] = {
            "epochs_alone": len(a.history), "epochs_tower": len(t.history),
            "best_epoch_alone": a.best_epoch, "best_epoch_tower": t.best_epoch,
            "val_loss_alone": a.history.val_loss.tolist(), "val_loss_tower": t.history.val_loss.tolist(),
            "max_weight_difference": max(float(np.max(np.abs(x - y)))
                                         for x, y in zip(a.model.get_weights(), t.model.get_weights())),
            "n_weights": len(a.model.get_weights()), "n_weights_tower": len(t.model.get_weights()),
        }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main()
