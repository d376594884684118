"""Benchmark: one training epoch on cached features vs the end-to-end TimeDistributed(MobileNetV2)
model, embedding-extraction throughput, and an ml20m epoch-time estimate.

    .venv/bin/python tests/benchmarks/bench_training.py [--sequences 96]

Runs on the demo profile's data (notebooks 01-02 must have run: `./run_all.sh demo --only 01,02`)
with the paper's sizes for the timed models (224x224 keyframes, MobileNetV2 alpha 1.0,
2x256 BiLSTM), on the same sequences and batch size 32. Target: cached >= 50x faster on CPU.
The ml20m GPU figure is an ESTIMATE from a stated assumption, not a measurement.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from vt2lib.profiles import load_profile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sequences", type=int, default=320, help="sequences per timed epoch (a multiple of 32)")
    args = ap.parse_args()
    import keras

    from vt2lib.embedding.epochs import sequence_batches
    from vt2lib.embedding.model import build_models
    from vt2lib.embedding.training import sequence_data_for
    from vt2lib.video.features import build_frame_encoder

    demo = load_profile("demo")
    paper = dataclasses.replace(load_profile("ml20m"), backbone_weights="none")
    S = 10
    data = sequence_data_for(demo, S)
    idx = np.arange(min(args.sequences, len(data.seq_offset)))
    n_trailers = data.n_trailers
    Batches = sequence_batches(keras)

    # Cached path: features of the paper's backbone would be 1280-d like ours.
    model, backbone = build_models(paper, data.features.shape[1], S, n_trailers)
    ds = Batches(data, idx, paper.heads, paper.batch_size)
    model.fit(ds, epochs=1, verbose=0)  # compile / warm-up
    t0 = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0)
    t_cached = time.perf_counter() - t0

    # End-to-end path: the same heads over TimeDistributed(frozen MobileNetV2) on raw keyframes.
    encoder, _ = build_frame_encoder(paper, weights="none")
    inp = keras.Input((S, paper.image_size, paper.image_size, 3), dtype="uint8")
    e2e = keras.Model(inp, model(keras.layers.TimeDistributed(encoder)(inp)))
    e2e.compile(optimizer=keras.optimizers.Adam(3e-4), loss=model.loss, loss_weights=model.compile_config()
                ["loss_weights"] if hasattr(model, "compile_config") else None)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (len(idx), S, paper.image_size, paper.image_size, 3), dtype=np.uint8)
    y, w = data.targets(idx, paper.heads)
    e2e.fit(frames[:32], {k: v[:32] for k, v in y.items()}, batch_size=32, epochs=1, verbose=0)  # warm-up
    t0 = time.perf_counter()
    e2e.fit(frames, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    t_e2e = time.perf_counter() - t0
    print(f"one epoch over {len(idx)} sequences of S={S}, batch 32, paper sizes (224x224, alpha 1.0, 2x256 BiLSTM):")
    print(f"  cached features        {t_cached:8.2f} s  ({len(idx) / t_cached:7.1f} sequences/s)")
    print(f"  end-to-end MobileNetV2 {t_e2e:8.2f} s  ({len(idx) / t_e2e:7.1f} sequences/s)")
    print(f"  ratio {t_e2e / t_cached:.0f}x (target >= 50x on CPU)")

    x = data.windows(np.arange(len(data.seq_offset)))
    backbone.predict(x[:256], batch_size=256, verbose=0)
    t0 = time.perf_counter()
    backbone.predict(x, batch_size=256, verbose=0)
    rate = len(x) / (time.perf_counter() - t0)
    print(f"embedding extraction: {rate:.0f} sequences/s ({len(x)} sequences)")

    # ml20m: 13,571 trailers of ~150 s (2.5 min, Fig. 5) -> (150 - 10) / 5 + 1 = 29 windows each.
    n_ml20m = 13_571 * 29
    cpu_epoch_h = n_ml20m / (len(idx) / t_cached) / 3600
    print(f"ml20m, S=10: ~{n_ml20m:,} sequences per epoch (13,571 trailers x ~29 windows)")
    print(f"  cached, this CPU (measured rate, extrapolated): {cpu_epoch_h:.1f} h per epoch")
    print(f"  end-to-end, this CPU (extrapolated):            {n_ml20m / (len(idx) / t_e2e) / 3600:.1f} h per epoch "
          f"(paper: ~20 h per epoch on its GPU)")
    gpu_speedup = 50  # ASSUMPTION: a data-centre GPU runs this LSTM ~50x faster than 2 CPU cores
    print(f"  ESTIMATE, one GPU, cached features (assumes the GPU is {gpu_speedup}x this CPU): "
          f"{cpu_epoch_h * 60 / gpu_speedup:.1f} min per epoch")


if __name__ == "__main__":
    main()
